/**
 * Refusals a developer can see: `onDenied` receives every refused CORS request with its origin,
 * method, path, reason and fix, on every adapter (real servers on loopback); without it, in
 * development, one rate-limited console warning (docs/middleware.md "Refusals you can see").
 */
import { createServer } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeniedEvent } from '../../src/adapters/express/index.js';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { cors as fastifyCors } from '../../src/adapters/fastify/index.js';
import { withCors } from '../../src/adapters/fetch/index.js';
import { cors as honoCors } from '../../src/adapters/hono/index.js';
import { cors as koaCors } from '../../src/adapters/koa/index.js';
import { cors as nodeCors } from '../../src/adapters/node/index.js';
import { CorsConfigError } from '../../src/index.js';
import { APP, CONFIG, listen, type Running, rawRequest, serveFetch } from './_helpers.js';

const EVIL = 'https://evil.example';
const refusedPreflight = (origin = EVIL, headers = 'content-type') =>
  [
    ['Origin', origin],
    ['Access-Control-Request-Method', 'PUT'],
    ['Access-Control-Request-Headers', headers],
  ] as [string, string][];

const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

type Start = (options: object) => Promise<Running>;
const WAYS: Record<string, Start> = {
  node: (options) => {
    const handle = nodeCors(options as never);
    return listen(createServer((req, res) => handle(req, res) || res.end('app')));
  },
  express: (options) => {
    const app = express();
    app.use(expressCors(options as never));
    app.use((_req, res) => res.send('app'));
    return listen(createServer(app));
  },
  koa: (options) => {
    const app = new Koa();
    app.use(koaCors(options as never));
    app.use((ctx) => {
      ctx.body = 'app';
    });
    return listen(createServer(app.callback()));
  },
  fastify: async (options) => {
    const app = Fastify();
    await app.register(fastifyCors, options as never);
    app.all('/*', async () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
  hono: (options) => {
    const app = new Hono();
    app.use('*', honoCors(options as never));
    app.all('*', (c) => c.text('app'));
    return serveFetch(app.fetch);
  },
  fetch: (options) => serveFetch(withCors(() => new Response('app'), options as never)),
};

async function start(way: string, options: object): Promise<Running> {
  const server = await WAYS[way]!(options);
  running.push(server);
  return server;
}

describe('onDenied', () => {
  it.each(Object.keys(WAYS))(
    '%s reports a refused preflight once, with its path, reason and fix',
    async (way) => {
      const events: DeniedEvent[] = [];
      const server = await start(way, { ...CONFIG, onDenied: (e: DeniedEvent) => events.push(e) });
      const response = await rawRequest(server.url, {
        method: 'OPTIONS',
        path: '/api/items?token=secret',
        headers: refusedPreflight(),
      });
      expect(response.status).toBe(403);
      expect(events).toEqual([
        {
          kind: 'preflight',
          origin: EVIL,
          method: 'OPTIONS',
          path: '/api/items',
          reason: 'origin-not-allowed',
          detail: EVIL,
          fix: `add "${EVIL}" to "origins" (or to the allowlist) if this page should call the API`,
          message: `corsgate: refused preflight OPTIONS /api/items from ${EVIL}: origin-not-allowed (${EVIL}); fix: add "${EVIL}" to "origins" (or to the allowlist) if this page should call the API`,
        },
      ]);
    },
  );

  it('names the header or method to add, reports actual requests, and stays silent for allowed ones', async () => {
    const events: DeniedEvent[] = [];
    const server = await start('express', { ...CONFIG, onDenied: (e: DeniedEvent) => events.push(e) });
    const header = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: refusedPreflight(APP, 'x-tenant'),
    });
    expect(header.status).toBe(403);
    const method = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PATCH'],
      ],
    });
    expect(method.status).toBe(403);
    await rawRequest(server.url, { method: 'GET', path: '/api/items', headers: [['Origin', EVIL]] });
    await rawRequest(server.url, { method: 'GET', path: '/api/items', headers: [['Origin', APP]] });
    await rawRequest(server.url, { method: 'GET', path: '/api/items' });
    await rawRequest(server.url, { method: 'OPTIONS', path: '/api/items', headers: refusedPreflight(APP) });
    expect(events.map((e) => [e.kind, e.method, e.reason, e.fix])).toEqual([
      ['preflight', 'OPTIONS', 'headers-not-allowed', 'add "x-tenant" to "requestHeaders"'],
      ['preflight', 'OPTIONS', 'method-not-allowed', 'add "PATCH" to "methods"'],
      [
        'actual',
        'GET',
        'origin-not-allowed',
        `add "${EVIL}" to "origins" (or to the allowlist) if this page should call the API`,
      ],
    ]);
  });

  it('keeps answering when onDenied throws, and logs what it threw', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = await start('node', {
      ...CONFIG,
      onDenied: () => {
        throw new Error('logger down');
      },
    });
    const response = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/',
      headers: refusedPreflight(),
    });
    expect(response.status).toBe(403);
    expect((errors.mock.calls[0]![0] as Error).message).toBe('logger down');
  });

  it('refuses an onDenied that is not a function, at start-up', () => {
    expect(() => nodeCors({ ...CONFIG, onDenied: 'console' as never })).toThrow(CorsConfigError);
  });
});

describe('the development warning', () => {
  it('prints one line per origin, method and reason a minute when NODE_ENV is development and onDenied is absent', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const server = await start('express', CONFIG);
    for (let i = 0; i < 3; i++)
      await rawRequest(server.url, { method: 'OPTIONS', path: '/api/items', headers: refusedPreflight() });
    await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: refusedPreflight('https://other.example'),
    });
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      `corsgate: refused preflight OPTIONS /api/items from ${EVIL}: origin-not-allowed (${EVIL}); fix: add "${EVIL}" to "origins" (or to the allowlist) if this page should call the API (onDenied receives these; NODE_ENV=production silences them)`,
      'corsgate: refused preflight OPTIONS /api/items from https://other.example: origin-not-allowed (https://other.example); fix: add "https://other.example" to "origins" (or to the allowlist) if this page should call the API (onDenied receives these; NODE_ENV=production silences them)',
    ]);
  });

  it('is silent in production', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const server = await start('express', CONFIG);
    const response = await rawRequest(server.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: refusedPreflight(),
    });
    expect(response.status).toBe(403);
    expect(warn).not.toHaveBeenCalled();
  });
});
