/**
 * The ways into corsgate, each a function that starts a real server on loopback for a given policy
 * and returns its base URL. Every framework serves the same small application, written the way
 * that framework's users write it:
 *
 * - `GET /api/items`: 200 JSON, `X-App: kept`, `X-Request-Id: r1`, appends `Vary: Accept-Encoding`
 * - `POST /api/items`: 201 JSON, `X-App: kept`
 * - `OPTIONS /api/items`: 200, `Allow: GET, POST, OPTIONS`, `X-App: kept` (the app's own OPTIONS)
 * - `GET /api/vary-set`: 200 JSON, sets `Vary: Accept-Encoding` with the framework's call that
 *   replaces the header (`res.set`, `reply.header`, `ctx.set`, `writeHead` with a header object…)
 * - `GET /api/vary-origin`: 200 JSON, sets `Vary: origin` the same way
 * - `GET /api/error`: the handler throws; the framework's own error handling answers 500
 * - anything else: the framework's own 404
 *
 * The gateway joins as the seventh (`_gateway.ts`): the real `corsgate serve` process in front of
 * this node:http application without middleware.
 *
 * Each way in reports the reason of every decision corsgate made for a request: the adapters through
 * their compiled policy (the one the middleware evaluates, watched), the gateway through its metrics.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
// The previous majors side by side, installed under npm aliases (package.json devDependencies).
import express4 from 'express4';
import Fastify from 'fastify';
import fastify4 from 'fastify4';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import type { CorsOptions, MiddlewareOptions } from '../../packages/corsgate/src/adapters/_shared.js';
import { cors as expressCors } from '../../packages/corsgate/src/adapters/express/index.js';
import { cors as fastifyCors } from '../../packages/corsgate/src/adapters/fastify/index.js';
import { withCors } from '../../packages/corsgate/src/adapters/fetch/index.js';
import { cors as honoCors } from '../../packages/corsgate/src/adapters/hono/index.js';
import { cors as koaCors } from '../../packages/corsgate/src/adapters/koa/index.js';
import { cors as nodeCors } from '../../packages/corsgate/src/adapters/node/index.js';
import type { ReasonCode } from '../../packages/corsgate/src/engine/decision.js';
import { type CorsConfig, createPolicy } from '../../packages/corsgate/src/engine/policy.js';
import { type RawRequest, type RawResponse, rawRequest } from './_raw-http.js';

export interface Started {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export type WayInName =
  | 'node'
  | 'express'
  | 'express4'
  | 'fastify'
  | 'fastify4'
  | 'koa'
  | 'koa2'
  | 'hono'
  | 'fetch'
  | 'gateway'
  | 'nginx'
  | `${'bun' | 'deno' | 'workerd'}-${'fetch' | 'hono'}`;

/** A server started for one policy, able to say why corsgate decided as it did. */
export interface Running extends Started {
  /** Sends one request over raw HTTP; `reasons` are those of every decision made for it (one expected). */
  send(request: RawRequest): Promise<{ response: RawResponse; reasons: readonly string[] }>;
}

export interface WayIn {
  readonly name: WayInName;
  /** Starts a server applying these options (the gateway maps them to its own configuration). */
  start(options: CorsOptions): Promise<Running>;
}

/** A framework's server with the middleware applied. */
interface FrameworkWay {
  readonly name: WayInName;
  start(options: CorsOptions): Promise<Started>;
}

/**
 * Runs a framework's way in on the compiled policy of these options, given as `{ policy }`, with
 * `evaluate` watched: the reasons are those of the decisions the middleware itself made.
 */
function observed(way: FrameworkWay): WayIn {
  return {
    name: way.name,
    async start(options) {
      const { blockDisallowedUnsafeRequests, ...config } = options as CorsConfig & MiddlewareOptions;
      const policy = createPolicy(config);
      const reasons: ReasonCode[] = [];
      const evaluate = policy.evaluate.bind(policy);
      policy.evaluate = (facts) => {
        const decision = evaluate(facts);
        reasons.push(decision.reason);
        return decision;
      };
      const started = await way.start({ policy, blockDisallowedUnsafeRequests });
      return {
        ...started,
        async send(request) {
          reasons.length = 0;
          const response = await rawRequest(started.baseUrl, request);
          return { response, reasons: reasons.slice() };
        },
      };
    },
  };
}

const ITEMS = JSON.stringify({ items: [] });

export async function listen(server: Server): Promise<Started> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function pathOf(url: string | undefined): string {
  const q = (url ?? '/').indexOf('?');
  return q < 0 ? (url ?? '/') : (url ?? '/').slice(0, q);
}

/** The application on plain node:http, behind `handle(req, res)`. */
export function nodeApp(req: IncomingMessage, res: ServerResponse): void {
  const path = pathOf(req.url);
  if (path === '/api/items' && req.method === 'GET') {
    res.setHeader('X-App', 'kept');
    res.setHeader('X-Request-Id', 'r1');
    res.appendHeader('Vary', 'Accept-Encoding');
    res.setHeader('Content-Type', 'application/json');
    res.end(ITEMS);
  } else if (path === '/api/items' && req.method === 'POST') {
    res.statusCode = 201;
    res.setHeader('X-App', 'kept');
    res.setHeader('Content-Type', 'application/json');
    res.end(ITEMS);
  } else if (path === '/api/items' && req.method === 'OPTIONS') {
    res.setHeader('X-App', 'kept');
    res.setHeader('Allow', 'GET, POST, OPTIONS');
    res.end();
  } else if (path === '/api/vary-set' || path === '/api/vary-origin') {
    const vary = path === '/api/vary-set' ? 'Accept-Encoding' : 'origin';
    res.writeHead(200, { 'Content-Type': 'application/json', Vary: vary });
    res.end(ITEMS);
  } else if (path === '/api/error') {
    throw new Error('boom');
  } else {
    res.statusCode = 404;
    res.end('Not Found');
  }
}

const node: FrameworkWay = {
  name: 'node',
  start(config) {
    const handle = nodeCors(config);
    return listen(
      createServer((req, res) => {
        if (handle(req, res)) return;
        try {
          nodeApp(req, res);
        } catch {
          res.statusCode = 500;
          res.end('Internal Server Error');
        }
      }),
    );
  },
};

/** The same application on each supported major of a framework (docs/middleware.md). */
const expressWay = (name: WayInName, create: typeof express): FrameworkWay => ({
  name,
  start(config) {
    const app = create();
    app.use(expressCors(config));
    app.get('/api/items', (_req, res) => {
      res.set('X-App', 'kept').set('X-Request-Id', 'r1').vary('Accept-Encoding').json({ items: [] });
    });
    app.post('/api/items', (_req, res) => {
      res.status(201).set('X-App', 'kept').json({ items: [] });
    });
    app.options('/api/items', (_req, res) => {
      res.set('X-App', 'kept').set('Allow', 'GET, POST, OPTIONS').end();
    });
    app.get('/api/vary-set', (_req, res) => {
      res.set('Vary', 'Accept-Encoding').json({ items: [] });
    });
    app.get('/api/vary-origin', (_req, res) => {
      res.set('Vary', 'origin').json({ items: [] });
    });
    app.get('/api/error', () => {
      throw new Error('boom');
    });
    return listen(createServer(app));
  },
});

const fastifyWay = (name: WayInName, create: typeof Fastify): FrameworkWay => ({
  name,
  async start(config) {
    const app = create();
    await app.register(fastifyCors, config);
    app.get('/api/items', async (_request, reply) => {
      const vary = reply.getHeader('vary');
      reply
        .header('X-App', 'kept')
        .header('X-Request-Id', 'r1')
        .header('Vary', vary === undefined ? 'Accept-Encoding' : `${vary}, Accept-Encoding`);
      return { items: [] };
    });
    app.post('/api/items', async (_request, reply) => {
      reply.code(201).header('X-App', 'kept');
      return { items: [] };
    });
    app.options('/api/items', async (_request, reply) => {
      reply.header('X-App', 'kept').header('Allow', 'GET, POST, OPTIONS').send();
    });
    app.get('/api/vary-set', async (_request, reply) => {
      reply.header('Vary', 'Accept-Encoding');
      return { items: [] };
    });
    app.get('/api/vary-origin', async (_request, reply) => {
      reply.header('Vary', 'origin');
      return { items: [] };
    });
    app.get('/api/error', async () => {
      throw new Error('boom');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
});

const koaWay = (name: WayInName, KoaClass: typeof Koa): FrameworkWay => ({
  name,
  start(config) {
    const app = new KoaClass();
    app.silent = true;
    app.use(koaCors(config));
    app.use((ctx) => {
      if (ctx.path === '/api/items' && ctx.method === 'GET') {
        ctx.set('X-App', 'kept');
        ctx.set('X-Request-Id', 'r1');
        ctx.vary('Accept-Encoding');
        ctx.body = { items: [] };
      } else if (ctx.path === '/api/items' && ctx.method === 'POST') {
        ctx.status = 201;
        ctx.set('X-App', 'kept');
        ctx.body = { items: [] };
      } else if (ctx.path === '/api/items' && ctx.method === 'OPTIONS') {
        ctx.set('X-App', 'kept');
        ctx.set('Allow', 'GET, POST, OPTIONS');
        ctx.status = 200;
        ctx.body = '';
      } else if (ctx.path === '/api/vary-set' || ctx.path === '/api/vary-origin') {
        ctx.set('Vary', ctx.path === '/api/vary-set' ? 'Accept-Encoding' : 'origin');
        ctx.body = { items: [] };
      } else if (ctx.path === '/api/error') {
        throw new Error('boom');
      }
    });
    return listen(createServer(app.callback()));
  },
});

function startFetch(fetch: (request: Request) => Response | Promise<Response>): Promise<Started> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    });
  });
}

const honoWay: FrameworkWay = {
  name: 'hono',
  start(config) {
    const app = new Hono();
    app.use('*', honoCors(config));
    app.get('/api/items', (c) => {
      c.header('X-App', 'kept');
      c.header('X-Request-Id', 'r1');
      c.header('Vary', 'Accept-Encoding', { append: true });
      return c.json({ items: [] });
    });
    app.post('/api/items', (c) => {
      c.header('X-App', 'kept');
      return c.json({ items: [] }, 201);
    });
    app.options('/api/items', (c) => {
      c.header('X-App', 'kept');
      c.header('Allow', 'GET, POST, OPTIONS');
      return c.body(null, 200);
    });
    app.get('/api/vary-set', (c) => {
      c.header('Vary', 'Accept-Encoding');
      return c.json({ items: [] });
    });
    app.get('/api/vary-origin', (c) => {
      c.header('Vary', 'origin');
      return c.json({ items: [] });
    });
    app.get('/api/error', () => {
      throw new Error('boom');
    });
    return startFetch(app.fetch);
  },
};

/** A plain Fetch API handler (what Bun, Deno and workers run), served by @hono/node-server. */
function fetchApp(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === '/api/items' && request.method === 'GET')
    return new Response(ITEMS, {
      headers: {
        'Content-Type': 'application/json',
        'X-App': 'kept',
        'X-Request-Id': 'r1',
        Vary: 'Accept-Encoding',
      },
    });
  if (path === '/api/items' && request.method === 'POST')
    return new Response(ITEMS, {
      status: 201,
      headers: { 'Content-Type': 'application/json', 'X-App': 'kept' },
    });
  if (path === '/api/items' && request.method === 'OPTIONS')
    return new Response(null, { status: 200, headers: { 'X-App': 'kept', Allow: 'GET, POST, OPTIONS' } });
  if (path === '/api/vary-set' || path === '/api/vary-origin')
    return new Response(ITEMS, {
      headers: {
        'Content-Type': 'application/json',
        Vary: path === '/api/vary-set' ? 'Accept-Encoding' : 'origin',
      },
    });
  if (path === '/api/error') throw new Error('boom');
  return new Response('Not Found', { status: 404 });
}

const fetchWay: FrameworkWay = {
  name: 'fetch',
  start(config) {
    return startFetch(withCors(fetchApp, config));
  },
};

/** The six adapters; conformance.test.ts adds the gateway. */
export const ADAPTERS: readonly WayIn[] = [
  node,
  expressWay('express', express),
  expressWay('express4', express4 as unknown as typeof express),
  fastifyWay('fastify', Fastify),
  fastifyWay('fastify4', fastify4 as unknown as typeof Fastify),
  koaWay('koa', Koa),
  koaWay('koa2', Koa2 as unknown as typeof Koa),
  honoWay,
  fetchWay,
].map(observed);
