/**
 * `publicOrigins` through every adapter, on real servers over loopback: a DNS-rebinding page's
 * state-changing request (a `Host` and `Origin` of the attacker's name, and the
 * `Sec-Fetch-Site: same-origin` its browser adds) is blocked by `blockDisallowedUnsafeRequests`
 * once the application says where it is served from (docs/middleware.md "Same-origin requests").
 */
import { createServer } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { cors as fastifyCors } from '../../src/adapters/fastify/index.js';
import { withCors } from '../../src/adapters/fetch/index.js';
import { cors as honoCors } from '../../src/adapters/hono/index.js';
import { cors as koaCors } from '../../src/adapters/koa/index.js';
import type { CorsOptions } from '../../src/adapters/node/index.js';
import { cors as nodeCors } from '../../src/adapters/node/index.js';
import { createPolicy } from '../../src/index.js';
import {
  headerValues,
  listen,
  type RawResponse,
  type Running,
  rawRequest,
  serveFetch,
  varyTokens,
} from './_helpers.js';

const PUBLIC = 'https://app.example.com';
const PARTNER = 'https://partner.example';
const BLOCKING = { origins: [PARTNER], credentials: true, blockDisallowedUnsafeRequests: true } as const;
const WITH_PUBLIC_ORIGINS: CorsOptions = { ...BLOCKING, publicOrigins: [PUBLIC] };
const PATH = '/api/transfer';
const BODY = '{"to":"attacker","amount":1000}';

/** A running application whose one route, `POST /api/transfer`, counts the requests it gets. */
interface App extends Running {
  readonly hits: () => number;
}
type Build = (options: CorsOptions) => Promise<App>;

function fastifyApp(create: () => FastifyInstance): Build {
  return async (options) => {
    let hits = 0;
    const app = create();
    await app.register(fastifyCors, options);
    app.post(PATH, async () => {
      hits++;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => app.close(), hits: () => hits };
  };
}

const ADAPTERS: [string, Build][] = [
  [
    'Express',
    async (options) => {
      let hits = 0;
      const app = express();
      app.use(expressCors(options));
      app.post(PATH, (_req, res) => {
        hits++;
        res.json({ done: true });
      });
      return { ...(await listen(createServer(app))), hits: () => hits };
    },
  ],
  ['Fastify 5', fastifyApp(() => Fastify())],
  ['Fastify 4', fastifyApp(() => (fastify4 as unknown as typeof Fastify)())],
  [
    'Koa',
    async (options) => {
      let hits = 0;
      const app = new Koa();
      app.silent = true;
      app.use(koaCors(options));
      app.use((ctx) => {
        hits++;
        ctx.body = { done: true };
      });
      return { ...(await listen(createServer(app.callback()))), hits: () => hits };
    },
  ],
  [
    'node:http',
    async (options) => {
      let hits = 0;
      const handle = nodeCors(options);
      const server = createServer((req, res) => {
        if (handle(req, res)) return;
        hits++;
        res.setHeader('Content-Type', 'application/json');
        res.end('{"done":true}');
      });
      return { ...(await listen(server)), hits: () => hits };
    },
  ],
  [
    'Hono',
    async (options) => {
      let hits = 0;
      const app = new Hono();
      app.use('*', honoCors(options));
      app.post(PATH, (c) => {
        hits++;
        return c.json({ done: true });
      });
      return { ...(await serveFetch(app.fetch)), hits: () => hits };
    },
  ],
  [
    'fetch (withCors)',
    async (options) => {
      let hits = 0;
      const handler = withCors(() => {
        hits++;
        return Response.json({ done: true });
      }, options);
      return { ...(await serveFetch(handler)), hits: () => hits };
    },
  ],
];

/**
 * What a page on `evil.example`, whose DNS the attacker rebound to this server's address, sends:
 * the browser writes `Host` and `Origin` for the name in its address bar, and since the page's own
 * origin is the one it calls, it marks the request `Sec-Fetch-Site: same-origin`.
 */
function rebindingPost(url: string): Promise<RawResponse> {
  const port = new URL(url).port;
  return rawRequest(url, {
    method: 'POST',
    path: PATH,
    headers: [
      ['Host', `evil.example:${port}`],
      ['Origin', `http://evil.example:${port}`],
      ['Sec-Fetch-Site', 'same-origin'],
      ['Content-Type', 'application/json'],
    ],
    body: BODY,
  });
}

function post(url: string, headers: [string, string][]): Promise<RawResponse> {
  return rawRequest(url, {
    method: 'POST',
    path: PATH,
    headers: [...headers, ['Content-Type', 'application/json']],
    body: BODY,
  });
}

let running: App | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe.each(ADAPTERS)('publicOrigins on %s', (_name, build) => {
  it('refuses a DNS-rebinding POST with 403 before the route when publicOrigins is set', async () => {
    running = await build(WITH_PUBLIC_ORIGINS);
    const response = await rebindingPost(running.url);
    expect(response.status).toBe(403);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(response, 'access-control-allow-credentials')).toEqual([]);
    expect(varyTokens(response)).toEqual(['Origin']);
    expect(running.hits()).toBe(0);
  });

  it('lets the same DNS-rebinding POST reach the route without publicOrigins (the default takes Host)', async () => {
    running = await build(BLOCKING);
    const response = await rebindingPost(running.url);
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
    expect(running.hits()).toBe(1);
  });

  it('lets a same-origin POST from a public origin through, without CORS headers', async () => {
    running = await build(WITH_PUBLIC_ORIGINS);
    const response = await post(running.url, [
      ['Host', 'app.example.com'],
      ['Origin', PUBLIC],
      ['Sec-Fetch-Site', 'same-origin'],
    ]);
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
    expect(varyTokens(response)).toEqual(['Origin']);
    expect(running.hits()).toBe(1);
  });

  it('believes Sec-Fetch-Site: same-origin about a request to a public host (Host read on this path)', async () => {
    running = await build(WITH_PUBLIC_ORIGINS);
    const response = await post(running.url, [
      ['Host', 'APP.example.com:443'],
      ['Origin', 'https://app.example.com:8443'],
      ['Sec-Fetch-Site', 'same-origin'],
    ]);
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
    expect(running.hits()).toBe(1);
  });

  it('refuses a POST whose Origin equals scheme://Host but is not a public origin', async () => {
    running = await build(WITH_PUBLIC_ORIGINS);
    const host = new URL(running.url).host;
    const response = await post(running.url, [
      ['Host', host],
      ['Origin', `http://${host}`],
    ]);
    expect(response.status).toBe(403);
    expect(running.hits()).toBe(0);
  });

  it('still allows a listed cross-origin caller with its CORS headers', async () => {
    running = await build(WITH_PUBLIC_ORIGINS);
    const response = await post(running.url, [['Origin', PARTNER]]);
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([PARTNER]);
    expect(headerValues(response, 'access-control-allow-credentials')).toEqual(['true']);
    expect(running.hits()).toBe(1);
  });

  it('takes publicOrigins from a compiled policy too', async () => {
    running = await build({
      policy: createPolicy({ origins: [PARTNER], publicOrigins: [PUBLIC] }),
      blockDisallowedUnsafeRequests: true,
    });
    expect((await rebindingPost(running.url)).status).toBe(403);
    expect((await post(running.url, [['Origin', PUBLIC]])).status).toBe(200);
    expect(running.hits()).toBe(1);
  });
});

describe('publicOrigins on a Fastify route with its own config.cors', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function serve(routeCors: CorsOptions): Promise<{ url: string; hits: () => number }> {
    let hits = 0;
    app = Fastify();
    await app.register(fastifyCors, WITH_PUBLIC_ORIGINS);
    app.post(PATH, { config: { cors: routeCors } }, async () => {
      hits++;
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
      hits: () => hits,
    };
  }

  it('inherits the plugin’s publicOrigins, so the route refuses a DNS-rebinding POST', async () => {
    const { url, hits } = await serve({ origins: ['https://other.example'] });
    expect((await rebindingPost(url)).status).toBe(403);
    expect(hits()).toBe(0);
    expect((await post(url, [['Origin', PUBLIC]])).status).toBe(200);
    expect(hits()).toBe(1);
  });

  it('uses the route’s own publicOrigins when it sets them', async () => {
    const { url, hits } = await serve({ origins: [], publicOrigins: ['https://admin.example.com'] });
    expect((await post(url, [['Origin', PUBLIC]])).status).toBe(403);
    expect((await post(url, [['Origin', 'https://admin.example.com']])).status).toBe(200);
    expect(hits()).toBe(1);
  });

  it('leaves a route’s compiled policy as it is (it carries its own publicOrigins)', async () => {
    const { url, hits } = await serve({ policy: createPolicy({ origins: [PARTNER] }) });
    // The compiled policy has no publicOrigins: Host decides for this route, and it blocks nothing
    // by the plugin's option (blockDisallowedUnsafeRequests is inherited).
    expect((await rebindingPost(url)).status).toBe(200);
    expect((await post(url, [['Origin', 'https://evil.example']])).status).toBe(403);
    expect(hits()).toBe(1);
  });
});
