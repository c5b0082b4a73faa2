/**
 * Real Express and Fastify upstreams for the security tests: each routes the way that framework
 * does by default (Express case-insensitively, Fastify decoding the path) and records what reached
 * a handler, with the cookie it carried.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';

export interface Hit {
  handler: string;
  url: string;
  cookie: string | null;
}

export interface FrameworkUpstream {
  name: 'express' | 'fastify';
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

/** The routes an attacker aims at: a state-changing API route, a public one, and an admin page. */
const ROUTES: [method: 'get' | 'post', path: string, handler: string][] = [
  ['post', '/api/items/:id/delete', 'api-delete'],
  ['get', '/api/items/:id', 'api-get'],
  ['post', '/public/delete', 'public-delete'],
  ['get', '/admin', 'admin'],
  ['get', '/v1/items', 'v1-items'],
];

export async function startExpress(): Promise<FrameworkUpstream> {
  const hits: Hit[] = [];
  const app = express();
  for (const [method, path, handler] of ROUTES)
    app[method](path, (req, res) => {
      hits.push({ handler, url: req.originalUrl, cookie: req.headers.cookie ?? null });
      res.json({ handler });
    });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  return {
    name: 'express',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Fastify with `caseSensitive: false`, the setting that makes it route `/API/x` like Express. */
export async function startFastify(): Promise<FrameworkUpstream> {
  const hits: Hit[] = [];
  const app = Fastify({ routerOptions: { caseSensitive: false } });
  // What a cross-site <form> sends; Fastify has no parser for it by default.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  for (const [method, path, handler] of ROUTES)
    app[method](path, async (req) => {
      hits.push({ handler, url: req.url, cookie: req.headers.cookie ?? null });
      return { handler };
    });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { name: 'fastify', url, hits, close: () => app.close() };
}
