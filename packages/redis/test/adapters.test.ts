/**
 * Every adapter takes a Redis source as its `allowlist` option (docs/sources.md): a real
 * `redis-server`, a push, and the next requests through Express, Fastify, Koa, Hono, node:http and
 * the Fetch adapter follow it.
 */
import { createServer } from 'node:http';
import { cors as expressCors } from 'corsgate/express';
import { cors as fastifyCors } from 'corsgate/fastify';
import { withCors } from 'corsgate/fetch';
import { cors as honoCors } from 'corsgate/hono';
import { cors as koaCors } from 'corsgate/koa';
import { cors as nodeCors } from 'corsgate/node';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, listen, rawRequest } from '../../corsgate/test/adapters/_helpers.js';
import { openRedisAllowlist, pushRedisAllowlist } from '../src/index.js';
import { type RedisServer, startRedis } from './_redis-server.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const FAST = { pollIntervalMs: 200, commandTimeoutMs: 500, startTimeoutMs: 2000 };
let redis: RedisServer;
let key = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Each test its own key, so versions do not mix. */
function source(): string {
  key++;
  return `${redis.url}?key=adapters-${key}`;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 3 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function acao(url: string, origin: string): Promise<string[]> {
  const response = await rawRequest(url, { method: 'GET', path: '/', headers: [['Origin', origin]] });
  return headerValues(response, 'access-control-allow-origin');
}

/** Push A, check A allowed and B refused; push B, check B allowed on a later request. */
async function followsPushes(url: string, check: (origin: string) => Promise<string[]>): Promise<void> {
  expect(await check(A)).toEqual([A]);
  expect(await check(B)).toEqual([]);
  await pushRedisAllowlist(url, `${B}\n`);
  await eventually(async () => (await check(B)).length === 1);
  expect(await check(B)).toEqual([B]);
  expect(await check(A)).toEqual([]);
}

describe('every adapter with a Redis allowlist source', () => {
  it('express follows the list pushed to Redis', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const mw = expressCors({ allowlist: url, credentials: true, redisOptions: FAST });
    await mw.ready;
    const app = express();
    app.use(mw);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const running = await listen(createServer(app));
    await followsPushes(url, (o) => acao(running.url, o));
    await mw.close();
    await running.close();
  });

  it('fastify follows the list pushed to Redis', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const app = Fastify();
    await app.register(fastifyCors, { allowlist: url, redisOptions: FAST });
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address() as { port: number };
    await followsPushes(url, (o) => acao(`http://127.0.0.1:${address.port}`, o));
    await app.close();
  });

  it('koa follows the list pushed to Redis', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const koa = new Koa();
    koa.silent = true;
    const mw = koaCors({ allowlist: url, redisOptions: FAST });
    await mw.ready;
    koa.use(mw);
    koa.use((ctx) => {
      ctx.body = 'ok';
    });
    const running = await listen(createServer(koa.callback()));
    await followsPushes(url, (o) => acao(running.url, o));
    await mw.close();
    await running.close();
  });

  it('hono follows the list pushed to Redis', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const mw = honoCors({ allowlist: url, redisOptions: FAST });
    await mw.ready;
    const app = new Hono();
    app.use('*', mw);
    app.get('/', (c) => c.text('ok'));
    await followsPushes(url, async (o) => {
      const r = await app.fetch(new Request('http://api.test/', { headers: { Origin: o } }));
      const v = r.headers.get('access-control-allow-origin');
      return v === null ? [] : [v];
    });
    await mw.close();
  });

  it('node:http follows the list pushed to Redis', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const handle = nodeCors({ allowlist: url, redisOptions: FAST });
    await handle.ready;
    const running = await listen(
      createServer((req, res) => {
        if (!handle(req, res)) res.end('ok');
      }),
    );
    await followsPushes(url, (o) => acao(running.url, o));
    await handle.close();
    await running.close();
  });

  it('the Fetch adapter follows the list pushed to Redis, given a source the application opened', async () => {
    const url = source();
    await pushRedisAllowlist(url, `${A}\n`);
    const redisSource = await openRedisAllowlist(url, FAST);
    const handler = withCors(() => new Response('ok'), { allowlist: redisSource });
    await handler.ready;
    await followsPushes(url, async (o) => {
      const r = await handler(new Request('http://api.test/', { headers: { Origin: o } }));
      const v = r.headers.get('access-control-allow-origin');
      return v === null ? [] : [v];
    });
    await handler.close();
    // Given by the application, it stays the application's to close.
    expect(redisSource.status().kind).toBe('redis');
    await redisSource.close();
  });

  it('refuses every origin while Redis holds no list yet, and follows the first push', async () => {
    const url = source();
    const mw = expressCors({ allowlist: url, redisOptions: FAST });
    await mw.ready;
    const app = express();
    app.use(mw);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const running = await listen(createServer(app));
    expect(await acao(running.url, A)).toEqual([]);
    await pushRedisAllowlist(url, `${A}\n`);
    await eventually(async () => (await acao(running.url, A)).length === 1);
    await mw.close();
    await running.close();
  });
});
