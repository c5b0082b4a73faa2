// The benchmark servers: each framework without CORS, with its usual CORS package, and with
// corsgate, all under one policy. `startServer(framework, variant, port)` is used by run.mjs (in a
// child process pinned to one core) and by bench/test (to assert each scenario before timing).
import { once } from 'node:events';
import { createServer } from 'node:http';

export const FRAMEWORKS = ['node', 'express', 'express4', 'fastify', 'fastify4', 'koa', 'koa2', 'hono'];
export const VARIANTS = ['none', 'peer', 'corsgate'];
export const PEER = {
  node: 'cors',
  express: 'cors',
  express4: 'cors',
  fastify: '@fastify/cors',
  fastify4: '@fastify/cors 8',
  koa: '@koa/cors',
  koa2: '@koa/cors',
  hono: 'hono/cors',
};

export const ORIGINS = ['https://app.example.com', 'https://admin.example.com', 'https://ops.example.com'];
export const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
export const HEADERS = ['Content-Type', 'Authorization', 'X-Requested-With'];
export const MAX_AGE = 600;
export const CONFIG = {
  origins: ORIGINS,
  credentials: true,
  methods: METHODS,
  requestHeaders: HEADERS,
  maxAge: MAX_AGE,
};

// 101 bytes: the same small JSON body for every server, so only the CORS work differs.
export const BODY = JSON.stringify({
  items: [
    { id: 1, name: 'alpha' },
    { id: 2, name: 'beta' },
  ],
  total: 2,
  page: 1,
  more: false,
  next: 100,
});
if (Buffer.byteLength(BODY) !== 101) throw new Error(`body is ${Buffer.byteLength(BODY)} bytes, not 101`);

/** The three request kinds: method, path, headers. */
export const KINDS = {
  actual: { method: 'GET', headers: { Origin: 'https://app.example.com' } },
  preflight: {
    method: 'OPTIONS',
    headers: {
      Origin: 'https://app.example.com',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'content-type,authorization',
    },
  },
  disallowed: { method: 'GET', headers: { Origin: 'https://evil.example.org' } },
};

async function nodeServer(variant) {
  const app = (req, res) => {
    if (req.method === 'GET' && req.url === '/api/items') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(BODY);
    } else {
      res.writeHead(404);
      res.end();
    }
  };
  if (variant === 'none') return createServer(app);
  if (variant === 'peer') {
    const cors = (await import('cors')).default({
      origin: ORIGINS,
      credentials: true,
      methods: METHODS,
      allowedHeaders: HEADERS,
      maxAge: MAX_AGE,
    });
    return createServer((req, res) => cors(req, res, () => app(req, res)));
  }
  const { cors } = await import('corsgate/node');
  const handle = cors(CONFIG);
  return createServer((req, res) => {
    if (handle(req, res)) return;
    app(req, res);
  });
}

/**
 * The previous majors run the same application from their npm aliases (bench/package.json):
 * `express4`, `koa2`, `fastify4` with `fastify-cors8` (@fastify/cors 8 is the one for Fastify 4).
 */
async function expressServer(variant, module = 'express') {
  const express = (await import(module)).default;
  const app = express();
  if (variant === 'peer')
    app.use(
      (await import('cors')).default({
        origin: ORIGINS,
        credentials: true,
        methods: METHODS,
        allowedHeaders: HEADERS,
        maxAge: MAX_AGE,
      }),
    );
  if (variant === 'corsgate') app.use((await import('corsgate/express')).cors(CONFIG));
  app.get('/api/items', (_req, res) => {
    res.type('application/json').send(BODY);
  });
  return createServer(app);
}

async function fastifyServer(variant, module = 'fastify', peer = '@fastify/cors') {
  const Fastify = (await import(module)).default;
  const app = Fastify();
  if (variant === 'peer')
    await app.register((await import(peer)).default, {
      origin: ORIGINS,
      credentials: true,
      methods: METHODS,
      allowedHeaders: HEADERS,
      maxAge: MAX_AGE,
    });
  if (variant === 'corsgate') await app.register((await import('corsgate/fastify')).cors, CONFIG);
  app.get('/api/items', (_request, reply) => {
    reply.type('application/json').send(BODY);
  });
  await app.ready();
  return { fastify: app };
}

async function koaServer(variant, module = 'koa') {
  const Koa = (await import(module)).default;
  const app = new Koa();
  app.silent = true;
  if (variant === 'peer') {
    // @koa/cors 5 takes one origin or a function, not a list.
    const allowed = new Set(ORIGINS);
    app.use(
      (await import('@koa/cors')).default({
        origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
        credentials: true,
        allowMethods: METHODS,
        allowHeaders: HEADERS,
        maxAge: MAX_AGE,
      }),
    );
  }
  if (variant === 'corsgate') app.use((await import('corsgate/koa')).cors(CONFIG));
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/api/items') {
      ctx.type = 'application/json';
      ctx.body = BODY;
    }
  });
  return createServer(app.callback());
}

async function honoServer(variant) {
  const { Hono } = await import('hono');
  const { getRequestListener } = await import('@hono/node-server');
  const app = new Hono();
  if (variant === 'peer')
    app.use(
      '*',
      (await import('hono/cors')).cors({
        origin: ORIGINS,
        credentials: true,
        allowMethods: METHODS,
        allowHeaders: HEADERS,
        maxAge: MAX_AGE,
      }),
    );
  if (variant === 'corsgate') app.use('*', (await import('corsgate/hono')).cors(CONFIG));
  app.get('/api/items', (c) => c.body(BODY, 200, { 'Content-Type': 'application/json' }));
  return createServer(getRequestListener(app.fetch));
}

const BUILDERS = {
  node: nodeServer,
  express: expressServer,
  express4: (variant) => expressServer(variant, 'express4'),
  fastify: fastifyServer,
  fastify4: (variant) => fastifyServer(variant, 'fastify4', 'fastify-cors8'),
  koa: koaServer,
  koa2: (variant) => koaServer(variant, 'koa2'),
  hono: honoServer,
};

/**
 * One scenario's request listener, not listening: `(req, res)` as node:http would call it, for the
 * in-process measurement (in-process.mjs). Resolves to { listener, close }.
 */
export async function buildListener(framework, variant) {
  const built = await BUILDERS[framework](variant);
  const server = built.fastify ? built.fastify.server : built;
  const [listener] = server.listeners('request');
  return { listener, close: () => (built.fastify ? built.fastify.close() : undefined) };
}

/** Starts one scenario on 127.0.0.1; `port` 0 picks a free one. Resolves to { port, close }. */
export async function startServer(framework, variant, port = 0) {
  const built = await BUILDERS[framework](variant);
  if (built.fastify) {
    await built.fastify.listen({ port, host: '127.0.0.1' });
    return { port: built.fastify.server.address().port, close: () => built.fastify.close() };
  }
  built.listen(port, '127.0.0.1');
  await once(built, 'listening');
  return {
    port: built.address().port,
    close: () =>
      new Promise((resolve) => {
        built.close(() => resolve());
        built.closeAllConnections();
      }),
  };
}

// As a script: `node servers.mjs <framework> <variant> <port>` prints "ready <port>" and serves until killed.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [framework, variant, port] = process.argv.slice(2);
  const { port: bound } = await startServer(framework, variant, Number(port ?? 0));
  console.log(`ready ${bound}`);
}
