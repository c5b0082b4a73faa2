/**
 * corsgate/fastify's per-route setting in real Chromium (docs/middleware.md "Fastify"), with the
 * plugin registered inside an encapsulated plugin without a prefix: a page's JSON PUT reaches a
 * route only when that route's own policy allows the page's origin, and never reaches a route with
 * `cors: false`; the handlers count what reached them. Fastify 5 and 4, over HTTPS on loopback.
 */

import type { Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cors } from '../../packages/corsgate/src/adapters/fastify/index.js';
import { type LaunchedBrowser, launchChromium, makeTls, type Tls } from './_chromium.js';
import { closeServer, listen } from './_servers.js';

let tls: Tls;
let chromium: LaunchedBrowser;
let context: BrowserContext;
let pages: Server;
let pagePort: number;

const appPage = (): string => `https://app.test:${pagePort}`;
const partnerPage = (): string => `https://partner.test:${pagePort}`;

beforeAll(async () => {
  tls = makeTls();
  pages = createHttps({ cert: tls.cert, key: tls.key }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>page</title>');
  }) as unknown as Server;
  pagePort = await listen(pages);
  chromium = await launchChromium(tls);
  context = await chromium.browser.newContext();
}, 120_000);

afterAll(async () => {
  await context?.close();
  await chromium?.close();
  if (pages !== undefined) await closeServer(pages);
});

/** A page's JSON PUT (it needs a preflight): what its script sees. */
async function putFrom(origin: string, url: string): Promise<string> {
  const page: Page = await context.newPage();
  await page.goto(`${origin}/`);
  const seen = await page.evaluate(async (target) => {
    try {
      const r = await fetch(target, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"a"}',
      });
      return `${r.status} ${await r.text()}`;
    } catch {
      return 'rejected';
    }
  }, url);
  await page.close();
  return seen;
}

describe.each([
  ['Fastify 5', Fastify],
  ['Fastify 4', fastify4 as unknown as typeof Fastify],
])('a route’s own CORS setting on %s, in Chromium', (_major, create) => {
  let app: FastifyInstance;
  let api: string;
  const reached: string[] = [];

  beforeAll(async () => {
    app = create({ https: { cert: tls.cert, key: tls.key } }) as unknown as FastifyInstance;
    await app.register(async (child) => {
      await child.register(cors, {
        origins: [appPage()],
        methods: ['PUT'],
        requestHeaders: ['Content-Type'],
      });
      const handler = async (request: { url: string }) => {
        reached.push(request.url);
        return 'done';
      };
      child.put('/items', handler);
      child.put(
        '/partner',
        {
          config: { cors: { origins: [partnerPage()], methods: ['PUT'], requestHeaders: ['Content-Type'] } },
        },
        handler,
      );
      child.put('/hook', { config: { cors: false } }, handler);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    api = `https://api.test:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('lets each origin PUT only where its route’s policy allows it, and nobody PUT to a cors: false route', async () => {
    expect(await putFrom(appPage(), `${api}/items`)).toBe('200 done');
    expect(await putFrom(partnerPage(), `${api}/partner`)).toBe('200 done');
    expect(await putFrom(appPage(), `${api}/partner`)).toBe('rejected');
    expect(await putFrom(partnerPage(), `${api}/items`)).toBe('rejected');
    expect(await putFrom(appPage(), `${api}/hook`)).toBe('rejected');
    // The refused PUTs never left the browser: their preflights failed.
    expect(reached).toEqual(['/items', '/partner']);
  }, 60_000);
});
