/**
 * Issue 28: `register(cors, { prefix: '/api' })`, moved over from @fastify/cors. docs/migrating.md
 * says the prefix limits CORS to routes under it: `/health` outside gets no CORS headers, and a path
 * the router decodes into the prefix (`/%61pi/items`) is still decided.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import Fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/fastify/index.js';
import { headerValues, rawRequest } from './_helpers.js';

const APP = 'https://app.example.com';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(make: () => FastifyInstance): Promise<string> {
  app = make();
  await app.register(cors, {
    prefix: '/api',
    origins: [APP],
    methods: ['PUT'],
    blockDisallowedUnsafeRequests: true,
  });
  app.get('/api/items', async () => []);
  app.post('/api/items', async () => ({ created: true }));
  app.get('/health', async () => 'ok');
  app.get('/apiary', async () => 'bees');
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

describe.each([
  ['Fastify 5', () => Fastify() as FastifyInstance],
  ['Fastify 4', () => Fastify4() as unknown as FastifyInstance],
])('%s: cors registered with a prefix', (_name, make) => {
  it('gives CORS headers under the prefix and none to /health or /apiary outside it', async () => {
    const url = await start(make);
    const get = (path: string) => rawRequest(url, { method: 'GET', path, headers: [['Origin', APP]] });
    expect(headerValues(await get('/api/items'), 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(await get('/health'), 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(await get('/apiary'), 'access-control-allow-origin')).toEqual([]);
  });

  it('answers preflights under the prefix only', async () => {
    const url = await start(make);
    const preflight = (path: string) =>
      rawRequest(url, {
        method: 'OPTIONS',
        path,
        headers: [
          ['Origin', APP],
          ['Access-Control-Request-Method', 'PUT'],
        ],
      });
    const inside = await preflight('/api/items');
    expect(inside.status).toBe(204);
    expect(headerValues(inside, 'access-control-allow-origin')).toEqual([APP]);
    const outside = await preflight('/health');
    expect(outside.status).toBe(404);
    expect(headerValues(outside, 'access-control-allow-origin')).toEqual([]);
  });

  it('still blocks a refused origin’s POST whose path is encoded into the prefix', async () => {
    const url = await start(make);
    const post = await rawRequest(url, {
      method: 'POST',
      path: '/%61pi/items',
      headers: [
        ['Origin', 'https://evil.example'],
        ['Content-Type', 'text/plain'],
      ],
      body: 'x',
    });
    expect(post.status).toBe(403);
  });
});
