/**
 * corsgate/fastify behaves like a Fastify plugin wherever it is registered: under a prefix or in an
 * encapsulated plugin its context's preflights are answered (not the root's 404), and routes
 * outside that context are untouched (docs/middleware.md "Fastify"). Real Fastify on loopback.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/fastify/index.js';
import { APP, CONFIG, headerValues, PREFLIGHT, rawRequest } from './_helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const MAJORS: [string, () => FastifyInstance][] = [
  ['Fastify 5', () => Fastify()],
  ['Fastify 4', () => (fastify4 as unknown as typeof Fastify)()],
];

describe.each(MAJORS)('corsgate/fastify in a context of its own, on %s', (_major, create) => {
  async function serve(build: (app: FastifyInstance) => Promise<void>): Promise<string> {
    app = create();
    await build(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }

  it('answers preflights under the prefix it was registered with, and leaves other routes alone', async () => {
    const url = await serve(async (root) => {
      await root.register(
        async (api) => {
          await api.register(cors, CONFIG);
          api.put('/items', async () => ({ saved: true }));
        },
        { prefix: '/api' },
      );
      root.get('/health', async () => 'ok');
    });
    const preflight = await rawRequest(url, { method: 'OPTIONS', path: '/api/items', headers: PREFLIGHT });
    expect(preflight.status).toBe(204);
    expect(headerValues(preflight, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(preflight, 'access-control-allow-methods')).toEqual(['PUT']);
    const put = await rawRequest(url, { method: 'PUT', path: '/api/items', headers: [['Origin', APP]] });
    expect(put.status).toBe(200);
    expect(headerValues(put, 'access-control-allow-origin')).toEqual([APP]);
    const outside = await rawRequest(url, { method: 'GET', path: '/health', headers: [['Origin', APP]] });
    expect(outside.status).toBe(200);
    expect(headerValues(outside, 'access-control-allow-origin')).toEqual([]);
    const notPreflight = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [['Origin', APP]],
    });
    expect(notPreflight.status).toBe(404);
  });

  it('refuses a disallowed preflight in an encapsulated, prefixed plugin with 403, not the root 404', async () => {
    const url = await serve(async (root) => {
      await root.register(
        async (child) => {
          await child.register(cors, CONFIG);
          child.put('/things', async () => ({ saved: true }));
        },
        { prefix: '/v2' },
      );
    });
    const refused = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/v2/things',
      headers: [
        ['Origin', 'https://evil.example'],
        ['Access-Control-Request-Method', 'PUT'],
      ],
    });
    expect(refused.status).toBe(403);
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([]);
  });

  it('leaves the root free for an application’s catch-all route, and answers its preflights', async () => {
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.all('/*', async () => 'app');
    });
    const preflight = await rawRequest(url, { method: 'OPTIONS', path: '/anything', headers: PREFLIGHT });
    expect(preflight.status).toBe(204);
    expect(headerValues(preflight, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('keeps an application’s own OPTIONS route for a path', async () => {
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.options('/api/items', async (_request, reply) => reply.header('Allow', 'GET, PUT').send());
    });
    const own = await rawRequest(url, { method: 'OPTIONS', path: '/api/items', headers: [['Origin', APP]] });
    expect(own.status).toBe(200);
    expect(headerValues(own, 'allow')).toEqual(['GET, PUT']);
  });
});
