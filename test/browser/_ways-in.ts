/**
 * The ways in that the matrix judges. Each one is started once per policy variant in front of (or
 * around) the counting application, and behind the counting front door. A way in lists the
 * features it has; a case that needs a missing feature is reported as a gap, never forked.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { CorsOptions } from '../../packages/corsgate/src/adapters/_shared.js';
import { cors as expressCors } from '../../packages/corsgate/src/adapters/express/index.js';
import { cors as fastifyCors } from '../../packages/corsgate/src/adapters/fastify/index.js';
import { withCors } from '../../packages/corsgate/src/adapters/fetch/index.js';
import { cors as honoCors } from '../../packages/corsgate/src/adapters/hono/index.js';
import { cors as koaCors } from '../../packages/corsgate/src/adapters/koa/index.js';
import { cors as nodeCors } from '../../packages/corsgate/src/adapters/node/index.js';
import { watchAllowlist } from '../../packages/corsgate/src/allowlist/index.js';
import { type CorsConfig, createPolicy, type Policy } from '../../packages/corsgate/src/index.js';
import { type AppAnswer, appAnswer, appHandler, closeServer, type Log, listen } from './_servers.js';

/**
 * - `reload`: the allowlist can change while the way in runs (hot-reloaded file or equivalent).
 * - `block-unsafe`: a state-changing request from a refused origin never reaches the application.
 * - `upstream`: there is a separate upstream whose failure the way in reports (502).
 */
export type Feature = 'reload' | 'block-unsafe' | 'upstream';

export interface Running {
  /** Where the way in listens on 127.0.0.1. */
  readonly port: number;
  /** Replaces the allowed origins (feature `reload`); resolves once the new list is in force. */
  setOrigins?(origins: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface WayIn {
  readonly name: string;
  readonly features: ReadonlySet<Feature>;
  /** Why a feature is missing, for the gap note in the report. */
  readonly gapReasons?: Partial<Record<Feature, string>>;
  /**
   * @param options.hotReload the row will change the allowlist (`setOrigins`): ways in that can
   * do so only from a watched file start from one.
   */
  start(config: CorsConfig, log: Log, options: { hotReload: boolean }): Promise<Running>;
}

/** The request facts a node:http request carries (R2: ACRM decides preflight; R3.2: one Origin line). */
export function factsOf(req: IncomingMessage, scheme: 'http' | 'https' = 'http') {
  const d = req.headersDistinct;
  return {
    method: req.method ?? 'GET',
    origin: d['origin'],
    accessControlRequestMethod: d['access-control-request-method'],
    accessControlRequestHeaders: d['access-control-request-headers'],
    host: req.headers.host,
    scheme,
    secFetchSite: req.headers['sec-fetch-site'],
  };
}

/**
 * The reference way in: a bare node:http server that applies `createPolicy(...).evaluate` exactly
 * as the Decision contract says (set `headers`, append `vary`, answer preflights with `status`),
 * with nothing else. It lets the whole matrix run before any adapter exists, and it isolates engine
 * bugs from adapter bugs.
 */
export const reference: WayIn = {
  name: 'reference (node:http + engine)',
  features: new Set<Feature>(['reload']),
  gapReasons: {
    'block-unsafe':
      'the bare engine only decides CORS headers; blocking refused unsafe requests is the gateway’s job',
    upstream: 'the application runs in-process; there is no upstream to fail',
  },
  async start(config, log) {
    const app = appHandler(log);
    let policy: Policy = createPolicy(config);
    const server = createServer((req, res) => {
      const decision = policy.evaluate(factsOf(req));
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      if (decision.vary.length > 0) res.appendHeader('Vary', decision.vary.join(', '));
      if (decision.kind === 'preflight') {
        res.statusCode = decision.status ?? 403;
        res.end();
        return;
      }
      app(req, res);
    });
    const port = await listen(server);
    return {
      port,
      async setOrigins(origins) {
        policy = createPolicy({ ...config, origins });
      },
      close: () => closeServer(server),
    };
  },
};

const NO_UPSTREAM = 'the application runs in-process; there is no upstream to fail';

/** An allowlist file in a fresh temp dir, replaced atomically (write a temp file, rename). */
function allowlistFile(origins: readonly string[]): {
  path: string;
  write(origins: readonly string[]): void;
  remove(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-browser-list-'));
  const path = join(dir, 'allowed_origins.list');
  const write = (list: readonly string[]): void => {
    writeFileSync(`${path}.tmp`, `# written by the browser suite\n${list.join('\n')}\n`);
    renameSync(`${path}.tmp`, path);
  };
  write(origins);
  return { path, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Every adapter runs with `blockDisallowedUnsafeRequests: true`, the gateway's rule for refused
 * origins' state-changing requests (off by default). It only changes what happens to a POST, PUT…
 * from a refused origin that is not a preflight, so the form and no-cors rows can run here too;
 * every other row behaves as without it. Rows that change the allowlist get the adapter's
 * `allowlist` option with a watcher on a real file; the others pass the configuration directly,
 * as most applications do.
 */
function middleware(name: string, start: (options: CorsOptions, log: Log) => Promise<Running>): WayIn {
  return {
    name,
    features: new Set<Feature>(['block-unsafe', 'reload']),
    gapReasons: { upstream: NO_UPSTREAM },
    async start(config, log, { hotReload }) {
      if (!hotReload) return start({ ...config, blockDisallowedUnsafeRequests: true }, log);
      const { origins, ...rest } = config;
      const file = allowlistFile(origins ?? []);
      const watcher = await watchAllowlist(file.path, { config: rest });
      const running = await start({ ...rest, allowlist: watcher, blockDisallowedUnsafeRequests: true }, log);
      return {
        port: running.port,
        async setOrigins(list) {
          file.write(list);
          // Forced, so the row does not depend on how fast fs events arrive.
          const event = await watcher.reload({ force: true });
          if (event.type !== 'reloaded') throw new Error(`allowlist reload: ${JSON.stringify(event)}`);
        },
        async close() {
          await running.close();
          await watcher.close();
          file.remove();
        },
      };
    },
  };
}

async function serveNode(server: Server): Promise<Running> {
  const port = await listen(server);
  return { port, close: () => closeServer(server) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The API as a Fetch handler (Hono and plain fetch servers). */
async function fetchApi(request: Request, log: Log): Promise<Response> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  log.record({ method: request.method, url: url.pathname + url.search, headers });
  const answer: AppAnswer = appAnswer({
    method: request.method,
    url: url.pathname + url.search,
    cookie: request.headers.get('cookie') ?? undefined,
    authorization: request.headers.get('authorization') ?? undefined,
    body: request.body === null ? '' : await request.text(),
  });
  if (answer.drop) return new Response('upstream dropped', { status: 500 });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

function serveFetch(fetch: (request: Request) => Response | Promise<Response>): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({ port: info.port, close: () => closeServer(server as Server) });
    });
  });
}

export const nodeWay = middleware('corsgate/node', async (config, log) => {
  const handle = nodeCors(config);
  const app = appHandler(log);
  return serveNode(
    createServer((req, res) => {
      if (handle(req, res)) return;
      app(req, res);
    }),
  );
});

export const expressWay = middleware('corsgate/express', async (config, log) => {
  const app = express();
  app.use(expressCors(config));
  app.use(appHandler(log));
  return serveNode(createServer(app));
});

export const fastifyWay = middleware('corsgate/fastify', async (config, log) => {
  const app = Fastify();
  await app.register(fastifyCors, config);
  // The API reads every body as text, whatever its type, like the other ways in.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Fastify routes only the common methods until told about others (the WebDAV ones the matrix uses).
  app.addHttpMethod('PROPFIND', { hasBody: true });
  app.addHttpMethod('MOVE', { hasBody: true });
  app.all('/*', async (request, reply) => {
    log.record(request.raw);
    const answer = appAnswer({
      method: request.method,
      url: request.url,
      cookie: request.headers.cookie,
      authorization: request.headers.authorization,
      body: typeof request.body === 'string' ? request.body : '',
    });
    if (answer.drop) return reply.code(500).send('upstream dropped');
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { port, close: () => app.close() };
});

export const koaWay = middleware('corsgate/koa', async (config, log) => {
  const app = new Koa();
  app.silent = true;
  app.use(koaCors(config));
  app.use(async (ctx) => {
    log.record(ctx.req);
    const answer = appAnswer({
      method: ctx.method,
      url: ctx.url,
      cookie: ctx.get('cookie') || undefined,
      authorization: ctx.get('authorization') || undefined,
      body: await readBody(ctx.req),
    });
    if (answer.drop) {
      ctx.status = 500;
      return;
    }
    ctx.set(answer.headers);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
  return serveNode(createServer(app.callback()));
});

export const honoWay = middleware('corsgate/hono', async (config, log) => {
  const app = new Hono();
  app.use('*', honoCors(config));
  app.all('*', (c) => fetchApi(c.req.raw, log));
  return serveFetch(app.fetch);
});

export const fetchWay = middleware('corsgate/fetch', async (config, log) =>
  serveFetch(withCors((request: Request) => fetchApi(request, log), config)),
);

const ROOT = resolve(import.meta.dirname, '../..');
const GATEWAY_BIN = join(ROOT, 'packages/gateway/dist/cli/bin.js');

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits for the gateway's JSON `listening` log line; fails with its stderr if it exits first. */
function waitListening(proc: ChildProcess): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let buffer = '';
    const stderr: string[] = [];
    const timer = setTimeout(
      () => reject(new Error(`corsgate serve did not start: ${stderr.join('')}`)),
      // A loaded machine has taken more than 60 s to start it; a quiet one takes under 1 s.
      180_000,
    );
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`corsgate serve exited with ${code}: ${stderr.join('')}`));
    });
    proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { event?: string; url?: string };
          if (entry.event === 'listening' && entry.url !== undefined) {
            clearTimeout(timer);
            resolveUrl(entry.url);
          }
        } catch {
          // not a log line
        }
      }
    });
  });
}

/**
 * Gateways starting at once, at most: a burst of Node processes booting on a loaded machine can
 * starve whatever else starts beside them past its own limit.
 */
const GATEWAY_STARTS = 2;
let starting = 0;
const startQueue: (() => void)[] = [];

async function inStartSlot<T>(task: () => Promise<T>): Promise<T> {
  if (starting >= GATEWAY_STARTS) await new Promise<void>((r) => startQueue.push(r));
  starting++;
  try {
    return await task();
  } finally {
    starting--;
    startQueue.shift()?.();
  }
}

/**
 * The gateway: the real `corsgate serve` binary, spawned with a YAML config (written as JSON,
 * which YAML reads) and an allowlist file, in front of the counting API as its upstream. The
 * allowlist is changed the way an operator does: the file is replaced atomically, then the admin
 * listener's `POST /reload` makes the test deterministic (the watcher would pick it up anyway).
 */
export const gatewayWay: WayIn = {
  name: 'corsgate serve (gateway)',
  features: new Set<Feature>(['reload', 'block-unsafe', 'upstream']),
  start: (config, log) => inStartSlot(() => startGatewayWay(config, log)),
};

async function startGatewayWay(config: CorsConfig, log: Log): Promise<Running> {
  if (!existsSync(GATEWAY_BIN)) {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const upstream = createServer(appHandler(log));
  const upstreamPort = await listen(upstream);
  const file = allowlistFile(config.origins ?? []);
  const dir = dirname(file.path);
  const { origins: _origins, ...policy } = config;
  const configFile = join(dir, 'corsgate.yaml');
  writeFileSync(
    configFile,
    JSON.stringify({
      upstream: `http://127.0.0.1:${upstreamPort}`,
      allowlist: file.path,
      policy,
      logLevel: 'info',
    }),
  );
  let adminPort = 0;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let url = '';
  // The admin port is picked free just before the gateway binds it; another process on a shared
  // machine can take it in between, and the gateway then exits saying so: pick another.
  for (let attempt = 1; url === ''; attempt++) {
    adminPort = await freePort();
    const started = spawn(
      process.execPath,
      [GATEWAY_BIN, 'serve', '--config', configFile, '--port', '0', '--admin-port', String(adminPort)],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc = started;
    exited = new Promise<void>((r) => started.once('exit', () => r()));
    try {
      url = await waitListening(started);
    } catch (error) {
      started.kill('SIGKILL');
      if (attempt < 3 && error instanceof Error && error.message.includes('already in use')) continue;
      await closeServer(upstream);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }
  const gateway = proc as ChildProcess;
  return {
    port: Number(new URL(url).port),
    async setOrigins(origins) {
      file.write(origins);
      const res = await fetch(`http://127.0.0.1:${adminPort}/reload`, { method: 'POST' });
      if (res.status !== 200) throw new Error(`POST /reload answered ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
    },
    async close() {
      if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGTERM');
      const timer = setTimeout(() => gateway.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await closeServer(upstream);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ALL_WAYS_IN: readonly WayIn[] = [
  gatewayWay,
  reference,
  nodeWay,
  expressWay,
  fastifyWay,
  koaWay,
  honoWay,
  fetchWay,
];

/**
 * `CORSGATE_BROWSER_WAYS=reference,express` runs only the ways in whose names contain one of the
 * words (for working on one adapter); unset, all of them run, as in CI.
 */
export const WAYS_IN: readonly WayIn[] = (() => {
  const only = process.env['CORSGATE_BROWSER_WAYS'];
  if (only === undefined || only === '') return ALL_WAYS_IN;
  const words = only.split(',').map((w) => w.trim());
  return ALL_WAYS_IN.filter((w) => words.some((word) => w.name.includes(word)));
})();
