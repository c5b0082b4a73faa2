import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
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

  describe('on @hono/node-server (headers written into the head, c.env.outgoing)', () => {
    it('appends Vary to the handler’s, keeps its headers and replaces its own CORS header', async () => {
      const app = new Hono();
      app.use('*', cors(CONFIG));
      app.get('/', (c) =>
        c.body('ok', 200, {
          Vary: 'Accept-Encoding',
          'X-App': 'kept',
          'Access-Control-Allow-Origin': '*',
        }),
      );
      running = await serveFetch(app.fetch);
      const response = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', APP]],
      });
      expect(response.status).toBe(200);
      expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
      expect(headerValues(response, 'x-app')).toEqual(['kept']);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(response, 'access-control-allow-credentials')).toEqual(['true']);
      expect(headerValues(response, 'content-length')).toEqual(['2']);
    });

    it('leaves the handler’s Response untouched, so middleware before it sees no CORS header', async () => {
      const app = new Hono();
      let seenByOuter: string | null | undefined;
      app.use('*', async (c, next) => {
        await next();
        seenByOuter = c.res.headers.get('access-control-allow-origin');
      });
      app.use('*', cors(CONFIG));
      app.get('/', (c) => c.text('ok'));
      running = await serveFetch(app.fetch);
      const response = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', APP]],
      });
      expect(seenByOuter).toBeNull();
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(response, 'content-type')).toEqual(['text/plain; charset=UTF-8']);
    });

    it('keeps every Set-Cookie line of the handler’s response', async () => {
      const app = new Hono();
      app.use('*', cors(CONFIG));
      app.get('/', (c) => {
        c.header('Set-Cookie', 'a=1', { append: true });
        c.header('Set-Cookie', 'b=2', { append: true });
        return c.json({ ok: true });
      });
      running = await serveFetch(app.fetch);
      const response = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', APP]],
      });
      expect(headerValues(response, 'set-cookie')).toEqual(['a=1', 'b=2']);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(response, 'vary')).toEqual(['Origin']);
    });

    it('carries CORS headers on a 404 from notFound and on Hono’s default 500 for a thrown error', async () => {
      const app = new Hono();
      app.use('*', cors(CONFIG));
      app.get('/boom', () => {
        throw new Error('boom');
      });
      running = await serveFetch(app.fetch);
      const missing = await rawRequest(running.url, {
        method: 'GET',
        path: '/nowhere',
        headers: [['Origin', APP]],
      });
      expect(missing.status).toBe(404);
      expect(headerValues(missing, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(missing, 'vary')).toEqual(['Origin']);
      const failed = await rawRequest(running.url, {
        method: 'GET',
        path: '/boom',
        headers: [['Origin', APP]],
      });
      expect(failed.status).toBe(500);
      expect(headerValues(failed, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(failed, 'access-control-allow-credentials')).toEqual(['true']);
    });

    it('merges a Vary the handler set on the Node response itself', async () => {
      const app = new Hono<{ Bindings: { outgoing: import('node:http').ServerResponse } }>();
      app.use('*', cors(CONFIG));
      app.get('/', (c) => {
        c.env.outgoing.setHeader('Vary', 'Cookie');
        c.env.outgoing.setHeader('X-Node', 'set');
        return c.text('ok');
      });
      running = await serveFetch(app.fetch);
      const response = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', APP]],
      });
      expect(headerValues(response, 'vary')).toEqual(['Cookie, Origin']);
      expect(headerValues(response, 'x-node')).toEqual(['set']);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    });

    it('adds headers when the handler writes the Node response itself, status message included', async () => {
      const app = new Hono<{ Bindings: { outgoing: import('node:http').ServerResponse } }>();
      app.use('*', cors(CONFIG));
      app.get('/', (c) => {
        c.env.outgoing.writeHead(202, 'Taken', { 'X-Raw': 'yes', Vary: 'Accept' });
        c.env.outgoing.end('raw');
        return RESPONSE_ALREADY_SENT;
      });
      running = await serveFetch(app.fetch);
      const response = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', APP]],
      });
      expect(response.status).toBe(202);
      expect(response.body).toContain('raw');
      expect(headerValues(response, 'x-raw')).toEqual(['yes']);
      expect(headerValues(response, 'vary')).toEqual(['Accept, Origin']);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    });

    it('adds headers to a streamed body and sends only Vary to a disallowed origin', async () => {
      const app = new Hono();
      app.use('*', cors(CONFIG));
      app.get('/', () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('chunk'));
            controller.close();
          },
        });
        return new Response(body, { headers: { 'Content-Type': 'text/plain', Vary: 'Accept' } });
      });
      running = await serveFetch(app.fetch);
      const allowed = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
      expect(allowed.status).toBe(200);
      expect(allowed.body).toContain('chunk');
      expect(headerValues(allowed, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(allowed, 'vary')).toEqual(['Accept, Origin']);
      const refused = await rawRequest(running.url, {
        method: 'GET',
        path: '/',
        headers: [['Origin', 'https://evil.example']],
      });
      expect(refused.status).toBe(200);
      expect(headerValues(refused, 'access-control-allow-origin')).toEqual([]);
      expect(headerValues(refused, 'access-control-allow-credentials')).toEqual([]);
      expect(headerValues(refused, 'vary')).toEqual(['Accept, Origin']);
    });
  });

  it('takes the generic path on a server that gives no c.env.outgoing, appending Vary', async () => {
    const app = new Hono();
    app.use('*', cors(CONFIG));
    app.get('/', (c) => c.body('ok', 200, { Vary: 'Accept-Encoding', 'X-App': 'kept' }));
    // A bare (request) => Response handler, as Bun, Deno and workers call it: no env bindings.
    running = await serveFetch((request) => app.fetch(request));
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
    expect(headerValues(response, 'x-app')).toEqual(['kept']);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  });
});
