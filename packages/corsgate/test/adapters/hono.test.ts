import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/hono/index.js';
import { APP, CONFIG, headerValues, PREFLIGHT, type Running, rawRequest, serveFetch } from './_helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('corsgate/hono', () => {
  it('adds headers to the handler’s own Response object instead of rebuilding it', async () => {
    const app = new Hono();
    app.use('*', cors(CONFIG));
    let created: Response | undefined;
    app.get('/', () => {
      created = new Response('ok', { headers: { 'X-App': 'kept' } });
      return created;
    });
    const response = await app.fetch(new Request('http://api.test/', { headers: { Origin: APP } }));
    expect(response).toBe(created);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('x-app')).toBe('kept');
  });

  it('copies a response whose headers are immutable once, keeping its status and headers', async () => {
    const app = new Hono();
    app.use('*', cors(CONFIG));
    app.get('/old', () => Response.redirect('http://api.test/new', 308));
    running = await serveFetch(app.fetch);
    const response = await rawRequest(running.url, {
      method: 'GET',
      path: '/old',
      headers: [['Origin', APP]],
    });
    expect(response.status).toBe(308);
    expect(headerValues(response, 'location')).toEqual(['http://api.test/new']);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(response, 'vary')).toEqual(['Origin']);
  });

  it('answers a preflight before an auth middleware placed after it, which never sees it', async () => {
    let authCalls = 0;
    const app = new Hono();
    app.use('*', cors(CONFIG));
    app.use('/api/*', async (c, next) => {
      authCalls++;
      if (c.req.header('authorization') !== 'Bearer ok') return c.json({ error: 'unauthorised' }, 401);
      await next();
    });
    app.put('/api/items', (c) => c.json({ ok: true }));
    running = await serveFetch(app.fetch);
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
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('adds CORS headers to the response of a custom onError handler', async () => {
    const app = new Hono();
    app.use('*', cors(CONFIG));
    app.get('/', () => {
      throw new Error('boom');
    });
    app.onError((_err, c) => c.json({ error: 'failed' }, 503));
    running = await serveFetch(app.fetch);
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(response.status).toBe(503);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  });
});
