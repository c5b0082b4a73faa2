/**
 * The README's middleware example, read from README.md as written, runs a real Express app that
 * answers the most common SPA call: a credentialed JSON `PUT`, whose preflight asks for
 * `content-type` (docs/migrating.md "A JSON request needs its Content-Type allowed").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/express/index.js';
import { APP, headerValues, listen, type Running, rawRequest } from './_helpers.js';

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
let running: Running | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The object literal passed to `cors(…)` in the README's `app.use(cors({ … }))` line. */
function readmeOptions(allowlistPath: string): Record<string, unknown> {
  const literal = /app\.use\(\s*cors\((\{[\s\S]*?\})\),?\s*\);/.exec(README)?.[1];
  expect(literal, 'README.md has an app.use(cors({ … })) example').toBeDefined();
  const options = new Function(`return (${literal});`)() as Record<string, unknown>;
  expect(options.allowlist).toBe('./allowed_origins.list');
  return { ...options, allowlist: allowlistPath };
}

describe('the README middleware example', () => {
  it('answers the preflight and the JSON PUT of an allowed origin with the CORS headers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'corsgate-readme-'));
    const list = join(dir, 'allowed_origins.list');
    writeFileSync(list, `${APP}\n`);
    const middleware = cors(readmeOptions(list) as never);
    await middleware.ready;
    const app = express();
    app.use(middleware);
    app.use(express.json());
    app.put('/api/items', (req, res) => res.json({ saved: req.body.name }));
    running = await listen(createServer(app));

    const preflight = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type'],
      ],
    });
    expect(preflight.status).toBe(204);
    expect(headerValues(preflight, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(preflight, 'access-control-allow-credentials')).toEqual(['true']);
    expect(headerValues(preflight, 'access-control-allow-methods')).toEqual(['PUT']);
    expect(headerValues(preflight, 'access-control-allow-headers')).toEqual(['content-type']);

    const put = await rawRequest(running.url, {
      method: 'PUT',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Content-Type', 'application/json'],
      ],
      body: '{"name":"a"}',
    });
    expect(put.status).toBe(200);
    expect(headerValues(put, 'access-control-allow-origin')).toEqual([APP]);
    expect(put.body).toBe('{"saved":"a"}');
    await middleware.close();
  });
});
