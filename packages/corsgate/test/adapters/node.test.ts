import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/node/index.js';
import { APP, CONFIG, headerValues, listen, PREFLIGHT, type Running, rawRequest } from './_helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('corsgate/node', () => {
  it('returns true when it answered a preflight and false for every other request', async () => {
    const handle = cors(CONFIG);
    const results: boolean[] = [];
    running = await listen(
      createServer((req, res) => {
        const answered = handle(req, res);
        results.push(answered);
        if (!answered) res.end('app');
      }),
    );
    const preflight = await rawRequest(running.url, { method: 'OPTIONS', path: '/', headers: PREFLIGHT });
    const refused = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PATCH'],
      ],
    });
    const actual = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    const plainOptions = await rawRequest(running.url, { method: 'OPTIONS', path: '/' });
    expect(results).toEqual([true, true, false, false]);
    expect([preflight.status, refused.status, actual.status, plainOptions.status]).toEqual([
      204, 403, 200, 200,
    ]);
    expect(actual.body).toBe('app');
    expect(plainOptions.body).toBe('app');
  });

  it('appends to Vary set before it ran, and leaves Vary: * alone', async () => {
    const handle = cors(CONFIG);
    running = await listen(
      createServer((req, res) => {
        res.setHeader('Vary', req.url === '/star' ? '*' : 'Accept-Encoding, origin');
        if (!handle(req, res)) res.end();
      }),
    );
    const listed = await rawRequest(running.url, { method: 'GET', path: '/', headers: [['Origin', APP]] });
    expect(headerValues(listed, 'vary')).toEqual(['Accept-Encoding, origin']);
    const star = await rawRequest(running.url, { method: 'GET', path: '/star', headers: [['Origin', APP]] });
    expect(headerValues(star, 'vary')).toEqual(['*']);
  });

  it('refuses every cross-origin caller when built without options (closed by default)', async () => {
    const handle = cors();
    running = await listen(
      createServer((req, res) => {
        if (!handle(req, res)) res.end();
      }),
    );
    const preflight = await rawRequest(running.url, { method: 'OPTIONS', path: '/', headers: PREFLIGHT });
    expect(preflight.status).toBe(403);
    expect(headerValues(preflight, 'access-control-allow-origin')).toEqual([]);
  });
});
