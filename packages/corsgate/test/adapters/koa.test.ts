import { createServer } from 'node:http';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/koa/index.js';
import { APP, CONFIG, headerValues, listen, PREFLIGHT, type Running, rawRequest } from './_helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

function app(): Koa {
  const koa = new Koa();
  koa.silent = true;
  return koa;
}

describe('corsgate/koa', () => {
  it('answers a preflight before an auth middleware placed after it, which never sees it', async () => {
    let authCalls = 0;
    const koa = app();
    koa.use(cors(CONFIG));
    koa.use((ctx, next) => {
      authCalls++;
      if (ctx.get('Authorization') !== 'Bearer ok') ctx.throw(401, 'unauthorised');
      return next();
    });
    koa.use((ctx) => {
      ctx.body = { ok: true };
    });
    running = await listen(createServer(koa.callback()));

    const preflight = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: PREFLIGHT,
    });
    expect(preflight.status).toBe(204);
    expect(authCalls).toBe(0);

    const refused = await rawRequest(running.url, {
      method: 'PUT',
      path: '/api/items',
      headers: [['Origin', APP]],
    });
    expect(refused.status).toBe(401);
    expect(refused.body).toBe('unauthorised');
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(refused, 'access-control-allow-credentials')).toEqual(['true']);
    expect(headerValues(refused, 'vary')).toEqual(['Origin']);
  });

  it('keeps the Vary an earlier middleware set on an error response, with Origin appended once', async () => {
    const koa = app();
    koa.use((ctx, next) => {
      ctx.vary('Accept-Encoding');
      return next();
    });
    koa.use(cors(CONFIG));
    koa.use(() => {
      throw new Error('boom');
    });
    running = await listen(createServer(koa.callback()));
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(response.status).toBe(500);
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('keeps headers the error itself carries next to the CORS headers', async () => {
    const koa = app();
    koa.use(cors(CONFIG));
    koa.use((ctx) => {
      ctx.throw(429, 'slow down', { headers: { 'Retry-After': '7' } });
    });
    running = await listen(createServer(koa.callback()));
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(response.status).toBe(429);
    expect(headerValues(response, 'retry-after')).toEqual(['7']);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('answers a refused preflight with an empty 403, not Koa’s text body', async () => {
    const koa = app();
    koa.use(cors(CONFIG));
    running = await listen(createServer(koa.callback()));
    const response = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/',
      headers: [
        ['Origin', 'https://evil.example.org'],
        ['Access-Control-Request-Method', 'PUT'],
      ],
    });
    expect(response.status).toBe(403);
    expect(response.body).toBe('');
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
  });
});
