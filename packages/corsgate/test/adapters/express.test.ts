import { createServer } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/express/index.js';
import { APP, CONFIG, headerValues, listen, PREFLIGHT, type Running, rawRequest } from './_helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('corsgate/express', () => {
  it('answers a preflight before an auth middleware placed after it, which never sees it', async () => {
    let authCalls = 0;
    const app = express();
    app.use(cors(CONFIG));
    app.use((req, res, next) => {
      authCalls++;
      if (req.headers.authorization !== 'Bearer ok') res.status(401).json({ error: 'unauthorised' });
      else next();
    });
    app.put('/api/items', (_req, res) => res.json({ ok: true }));
    running = await listen(createServer(app));

    const preflight = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: PREFLIGHT,
    });
    expect(preflight.status).toBe(204);
    expect(headerValues(preflight, 'access-control-allow-headers')).toEqual(['authorization']);
    expect(authCalls).toBe(0);

    const refused = await rawRequest(running.url, {
      method: 'PUT',
      path: '/api/items',
      headers: [['Origin', APP]],
    });
    expect(refused.status).toBe(401);
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([APP]);
    expect(authCalls).toBe(1);
  });

  it('appends Origin to a Vary set by middleware that ran before it and keeps that middleware’s headers', async () => {
    const app = express();
    app.use((_req, res, next) => {
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('X-Frame-Options', 'DENY');
      next();
    });
    app.use(cors(CONFIG));
    app.get('/', (_req, res) => res.send('ok'));
    running = await listen(createServer(app));
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
    expect(headerValues(response, 'x-frame-options')).toEqual(['DENY']);
  });

  it('keeps CORS headers on a response from a custom error handler', async () => {
    const app = express();
    app.use(cors(CONFIG));
    app.get('/', () => {
      throw Object.assign(new Error('teapot'), { status: 418 });
    });
    app.use(
      (
        err: { status: number },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(err.status).json({ error: 'teapot' });
      },
    );
    running = await listen(createServer(app));
    const response = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(response.status).toBe(418);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(response, 'access-control-allow-credentials')).toEqual(['true']);
    expect(headerValues(response, 'vary')).toEqual(['Origin']);
  });

  it('incorrect usage: a route answering OPTIONS registered before cors swallows the preflight', async () => {
    const app = express();
    app.options('/{*any}', (_req, res) => {
      res.sendStatus(204);
    });
    app.use(cors(CONFIG));
    running = await listen(createServer(app));
    const preflight = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: PREFLIGHT,
    });
    expect(preflight.status).toBe(204);
    expect(headerValues(preflight, 'access-control-allow-origin')).toEqual([]);
  });

  it('throws the configuration error when the middleware is built, not on a request', () => {
    expect(() => cors({ origins: ['https://app.example.com/path'] })).toThrowError(/CG_ORIGIN_HAS_PATH/);
  });
});
