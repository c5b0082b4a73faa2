/**
 * Fastify's heads carry `Vary: Origin` however the application treats `Vary` (request/node.ts
 * `keepVaryInHeadObject`: Fastify hands its headers to `writeHead` as one object, and corsgate reads
 * that object's `vary` once). The replacing `reply.header('Vary', …)` row is in the conformance
 * table; these are the ways past it: a removed header, a hijacked reply that writes the raw
 * response itself, a refused origin, an error, and a reply whose Vary already names Origin.
 * Real Fastify 5 and 4 on loopback (docs/middleware.md "Vary").
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/fastify/index.js';
import { APP, CONFIG, headerValues, rawRequest } from './_helpers.js';

const MAJORS: [string, () => FastifyInstance][] = [
  ['Fastify 5', () => Fastify()],
  ['Fastify 4', () => fastify4() as unknown as FastifyInstance],
];

describe.each(MAJORS)('%s: Vary: Origin at the head', (_major, create) => {
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    app = create();
    await app.register(cors, CONFIG);
    app.get('/removed', (_request, reply) => {
      reply.removeHeader('vary');
      reply.send('ok');
    });
    app.get('/replaced', (_request, reply) => {
      reply.header('Vary', 'Accept-Encoding').send('ok');
    });
    app.get('/already', (_request, reply) => {
      reply.header('Vary', 'Accept-Encoding, ORIGIN').send('ok');
    });
    app.get('/hijacked', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'Content-Type': 'text/plain' });
      reply.raw.end('raw');
    });
    app.get('/thrown', () => {
      throw new Error('boom');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  const get = (path: string, origin = APP) =>
    rawRequest(url, { method: 'GET', path, headers: [['Origin', origin]] });

  it.each([
    ['/removed', 200, 'Origin'],
    ['/replaced', 200, 'Accept-Encoding, Origin'],
    ['/already', 200, 'Accept-Encoding, ORIGIN'],
    ['/hijacked', 200, 'Origin'],
    ['/thrown', 500, 'Origin'],
  ])('%s: answered %i with Vary %s, once', async (path, status, vary) => {
    const response = await get(path);
    expect(response.status).toBe(status);
    expect(headerValues(response, 'vary')).toEqual([vary]);
  });

  it('a refused origin whose reply replaces Vary still gets Origin, and no CORS header', async () => {
    const response = await get('/replaced', 'https://evil.example.org');
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
  });
});
