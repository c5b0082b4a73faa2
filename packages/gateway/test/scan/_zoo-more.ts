/**
 * The zoo's second wing (issue 24's classes): real servers on 127.0.0.1, each with one fault as it
 * ships in the field (an auth layer in front of the CORS middleware, a proxy adding a second
 * Access-Control-Allow-Origin, the cors README's `callback(new Error(...))`, a Lambda handler
 * reading one header line, a WebSocket server without an Origin check), and a hand-written server
 * that gets all of it right.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { serve as serveHono } from '@hono/node-server';
import cors from 'cors';
import { cors as corsgateFastify } from 'corsgate/fastify';
import { cors as corsgateHono } from 'corsgate/hono';
import { cors as corsgateKoa } from 'corsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { WebSocketServer } from 'ws';
import { APP, listen, type ZooServer } from './_zoo.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A node:http server; `ws` adds a WebSocket server on the same port (with its Origin check, if any). */
async function serve(handler: Handler, ws?: { checkOrigin: boolean }): Promise<ZooServer> {
  const server = createServer(handler);
  const zoo = await listen(server);
  if (ws === undefined) return zoo;
  const wss = new WebSocketServer({
    server,
    ...(ws.checkOrigin ? { verifyClient: ({ origin }: { origin: string }) => origin === APP } : {}),
  });
  return {
    ...zoo,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await zoo.close();
    },
  };
}

/** The answer of the API itself: 200 on the resource, 404 elsewhere. */
function resource(req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = req.url === '/api/items' ? 200 : 404;
  res.end(res.statusCode === 200 ? '{"items":[]}' : 'not found');
}

/** Exact origin check with credentials and Vary: Origin on every answer (the correct part). */
function exactCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Vary', 'Origin');
  if (req.headers.origin === APP) {
    res.setHeader('Access-Control-Allow-Origin', APP);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
}

/** A preflight answer with fixed lists; `extra` adds or overrides lines. */
function preflight(res: ServerResponse, extra: Record<string, string> = {}): void {
  res.setHeader('Access-Control-Allow-Methods', 'GET, PUT');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
  for (const [n, v] of Object.entries(extra)) res.setHeader(n, v);
  res.statusCode = 204;
  res.end();
}

const isPreflight = (req: IncomingMessage) =>
  req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;

/** What a correct hand-written server does: every status with CORS, OPTIONS answered, sockets checked. */
export function correctServer(): Promise<ZooServer> {
  return serve(
    (req, res) => {
      exactCors(req, res);
      if (isPreflight(req)) return preflight(res, { 'Access-Control-Max-Age': '600' });
      if (req.headers.authorization !== undefined) {
        res.statusCode = 401;
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        res.end();
        return;
      }
      resource(req, res);
    },
    { checkOrigin: true },
  );
}

/** Which origin checks the fault servers are built around. */
const corsFixed = () =>
  cors({
    origin: [APP],
    credentials: true,
    methods: ['GET', 'PUT'],
    allowedHeaders: ['Content-Type', 'Authorization'],
  });

function expressServer(
  build: (app: express.Express) => void,
  ws?: { checkOrigin: boolean },
): Promise<ZooServer> {
  const app = express();
  build(app);
  app.get('/api/items', (_req, res) => {
    res.json({ items: [] });
  });
  return serve(app as unknown as Handler, ws);
}

export const FAULTS = {
  /** Writes need a token, and the auth middleware runs before CORS, so it answers the preflight 401. */
  preflightAuth: () =>
    expressServer((app) => {
      app.use((req, res, next) => {
        if (req.method !== 'GET' && req.headers.authorization === undefined) {
          res.status(401).set('WWW-Authenticate', 'Bearer').end();
          return;
        }
        next();
      });
      app.use(corsFixed());
    }),
  /** Only GET is routed: OPTIONS gets the router's 405. */
  preflight405: () =>
    serve((req, res) => {
      if (req.method !== 'GET') {
        res.statusCode = 405;
        res.setHeader('Allow', 'GET');
        res.end();
        return;
      }
      exactCors(req, res);
      resource(req, res);
    }),
  /** A proxy adds CORS to GET answers but passes OPTIONS to the upstream, which answers with Allow. */
  preflightForwarded: () =>
    serve((req, res) => {
      if (req.method === 'OPTIONS') {
        res.statusCode = 200;
        res.setHeader('Allow', 'GET, PUT, OPTIONS');
        res.end();
        return;
      }
      exactCors(req, res);
      resource(req, res);
    }),
  /** The app sets Access-Control-Allow-Origin and the proxy in front adds its own line. */
  duplicateOrigin: () =>
    serve((req, res) => {
      exactCors(req, res);
      if (req.headers.origin === APP) res.setHeader('Access-Control-Allow-Origin', [APP, APP]);
      if (isPreflight(req)) return preflight(res);
      resource(req, res);
    }),
  /** The cors README's dynamic origin: refusing is `callback(new Error(...))`, so Express answers 500. */
  refusalError: () =>
    expressServer((app) => {
      app.use(
        cors({
          origin: (origin, cb) =>
            origin === undefined || origin === APP ? cb(null, true) : cb(new Error('Not allowed by CORS')),
          credentials: true,
          methods: ['GET', 'PUT'],
          allowedHeaders: ['Content-Type', 'Authorization'],
        }),
      );
      // Express's default handler would print the stack on stderr; answer the 500 quietly.
      app.use((_e: Error, _req: express.Request, res: express.Response, _n: express.NextFunction) => {
        res.status(500).send('Internal Server Error');
      });
    }),
  /** express-jwt style: anonymous reads pass, a bad token is refused before CORS runs. */
  authErrorWithoutCors: () =>
    expressServer((app) => {
      app.use((req, res, next) => {
        if (req.headers.authorization !== undefined && req.method !== 'OPTIONS') {
          res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"').end();
          return;
        }
        next();
      });
      app.use(corsFixed());
    }),
  /** Anonymous API: `*` everywhere, also standing for Authorization. */
  wildcardAuthorization: () =>
    serve((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (isPreflight(req)) return preflight(res, { 'Access-Control-Allow-Headers': '*' });
      resource(req, res);
    }),
  /** Allowed headers echoed as asked (filtered by the list), with Vary naming Origin only. */
  preflightVaryMissing: () =>
    serve((req, res) => {
      exactCors(req, res);
      if (!isPreflight(req)) return resource(req, res);
      const asked = String(req.headers['access-control-request-headers'] ?? '').split(',');
      const ok = asked
        .map((h) => h.trim().toLowerCase())
        .filter((h) => ['content-type', 'authorization'].includes(h));
      res.setHeader('Access-Control-Allow-Methods', 'GET, PUT');
      if (ok.length > 0) res.setHeader('Access-Control-Allow-Headers', ok.join(', '));
      res.statusCode = 204;
      res.end();
    }),
  /** A day of preflight caching, as the cors docs' example sets it. */
  maxAgeOverCap: () =>
    serve((req, res) => {
      exactCors(req, res);
      if (isPreflight(req)) return preflight(res, { 'Access-Control-Max-Age': '86400' });
      resource(req, res);
    }),
  /** nginx's `if ($request_method = OPTIONS) { add_header …; return 204; }` with no CORS on the rest. */
  preflightOnly: () =>
    serve((req, res) => {
      if (isPreflight(req)) {
        exactCors(req, res);
        return preflight(res);
      }
      resource(req, res);
    }),
  /** Echoes requested headers with a cap (as rs/cors and jub0bs/cors do): any header, but bounded. */
  boundedEcho: () =>
    serve((req, res) => {
      exactCors(req, res);
      if (!isPreflight(req)) return resource(req, res);
      const asked = String(req.headers['access-control-request-headers'] ?? '');
      res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      if (asked.split(',').length > 16) {
        res.statusCode = 400;
        res.end();
        return;
      }
      preflight(res, { 'Access-Control-Allow-Headers': asked });
    }),
  /** An AWS API Gateway style handler: event.headers keeps the last line of a repeated header only. */
  lastLineOnly: () =>
    serve((req, res) => {
      exactCors(req, res);
      if (!isPreflight(req)) return resource(req, res);
      res.setHeader('Vary', 'Origin, Access-Control-Request-Headers');
      const lines = req.headersDistinct['access-control-request-headers'] ?? [];
      const asked = (lines[lines.length - 1] ?? '').split(',').map((h) => h.trim().toLowerCase());
      if (!asked.every((h) => h === '' || ['content-type', 'authorization'].includes(h))) {
        res.statusCode = 403;
        res.end();
        return;
      }
      preflight(res, { 'Access-Control-Allow-Headers': asked.join(', ') });
    }),
  /** A device or dev server on the local network: `*` and Private Network Access for everyone. */
  privateNetworkAnyOrigin: () =>
    serve((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (isPreflight(req)) {
        if (req.headers['access-control-request-private-network'] === 'true')
          res.setHeader('Access-Control-Allow-Private-Network', 'true');
        return preflight(res, { 'Access-Control-Allow-Headers': 'Content-Type' });
      }
      resource(req, res);
    }),
  /** A check on the parsed URL: `new URL` lowercases the host and drops :443; the dot is stripped. */
  normalisingCheck: () =>
    checked((o) => {
      if (!URL.canParse(o)) return false;
      const u = new URL(o);
      return u.protocol === 'https:' && u.port === '' && u.hostname.replace(/\.$/, '') === 'app.example.com';
    }),
  /** The host taken as /^https:\/\/([\w.-]+)/: it stops at $ + & ` } !. */
  hostRegex: () => checked((o) => /^https:\/\/([\w.-]+)(?=$|[^:])/.exec(o)?.[1] === 'app.example.com'),
  /** Every .com site, meant as "our .com sites". */
  publicSuffixWildcard: () => checked((o) => o === APP || /^https:\/\/[a-z0-9-]+\.com$/.test(o)),
  /** "Our docs on GitHub Pages": every github.io site. */
  sharedHosting: () => checked((o) => o === APP || /^https:\/\/[a-z0-9-]+\.github\.io$/.test(o)),
  /** CORS done right, and a WebSocket server on the same port that takes any Origin. */
  websocketAnyOrigin: () => expressServer((app) => app.use(corsFixed()), { checkOrigin: false }),
} as const;

/** The correct server with another origin check (the faults of the check alone). */
function checked(decide: (origin: string) => boolean): Promise<ZooServer> {
  return serve((req, res) => {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin !== undefined && decide(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (isPreflight(req)) return preflight(res);
    resource(req, res);
  });
}

/** corsgate's strict config for the framework adapters: one origin, credentials, PUT. */
const STRICT = { origins: [APP], credentials: true, methods: ['PUT'] };

/** corsgate's Fastify, Koa and Hono adapters in front of the resource (the clean side of the zoo). */
export const CORSGATE_ADAPTERS = {
  fastify: async (): Promise<ZooServer> => {
    const app = Fastify();
    await app.register(corsgateFastify, STRICT);
    app.get('/api/items', async () => ({ items: [] }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/api/items`, close: () => app.close() };
  },
  koa: (): Promise<ZooServer> => {
    const app = new Koa();
    app.use(corsgateKoa(STRICT));
    app.use((ctx) => {
      if (ctx.path === '/api/items') ctx.body = { items: [] };
    });
    return listen(createServer(app.callback()));
  },
  hono: (): Promise<ZooServer> => {
    const app = new Hono();
    app.use('*', corsgateHono(STRICT));
    app.get('/api/items', (c) => c.json({ items: [] }));
    return new Promise((resolve) => {
      const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve({
          url: `http://127.0.0.1:${info.port}/api/items`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              (server as Server).closeAllConnections();
            }),
        }),
      );
    });
  },
} as const;
