/**
 * Issue 28: an Express app moved over from `cors` by renaming `origin` to `origins`. `cors` allowed
 * every method and echoed every requested header; corsgate allows neither until listed. The
 * development warning names every missing item at once, and a refused DELETE after a refused PUT
 * is warned of too (docs/middleware.md "Refusals you can see").
 */
import express from 'express';
import { afterEach, expect, it, vi } from 'vitest';
import { cors } from '../../src/adapters/express/index.js';
import { listen, type Running, rawRequest } from './_helpers.js';

const APP = 'https://app.example.com';
let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
});

it('warns once per refused item set, naming the method and every header to add', async () => {
  const warnings: string[] = [];
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => {
    warnings.push(String(line));
  });
  const mode = process.env['NODE_ENV'];
  // The warning is for development; the test runner says "test".
  process.env['NODE_ENV'] = 'development';
  let mw: ReturnType<typeof cors>;
  try {
    mw = cors({ origins: [APP] });
  } finally {
    process.env['NODE_ENV'] = mode;
  }
  const app = express();
  app.use(mw);
  running = await listen(app.listen(0, '127.0.0.1'));
  const preflight = (method: string, headers: string) =>
    rawRequest(running!.url, {
      method: 'OPTIONS',
      path: '/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', method],
        ['Access-Control-Request-Headers', headers],
      ],
    });

  expect((await preflight('PUT', 'content-type,x-request-id')).status).toBe(403);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(
    'fix: add "PUT" to "methods" and "content-type", "x-request-id" to "requestHeaders"',
  );

  expect((await preflight('DELETE', 'content-type')).status).toBe(403);
  expect(warnings).toHaveLength(2);
  expect(warnings[1]).toContain('fix: add "DELETE" to "methods" and "content-type" to "requestHeaders"');

  // The same refusal again within the minute is not repeated.
  await preflight('DELETE', 'content-type');
  expect(warnings).toHaveLength(2);
});
