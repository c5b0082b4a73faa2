/**
 * `{ allowlist: path, ...config }`: middleware follows a watched allowlist file (hot reload), fails
 * closed until the file is loaded, and releases the watcher on close.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { cors as fastifyCors } from '../../src/adapters/fastify/index.js';
import { withCors } from '../../src/adapters/fetch/index.js';
import { cors as nodeCors } from '../../src/adapters/node/index.js';
import { AllowlistError, watchAllowlist } from '../../src/allowlist/index.js';
import { CorsConfigError } from '../../src/index.js';
import { headerValues, listen, type Running, rawRequest } from './_helpers.js';

const FAST = { debounceMs: 20, maxWaitMs: 100, pollIntervalMs: 100, settleMs: 150 };
let dir: string;
let file: string;
let running: Running | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corsgate-mw-allowlist-'));
  file = join(dir, 'allowed_origins.list');
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces the file the way operators are told to: write a temp file, rename it over. */
function replace(text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

async function acao(url: string, origin: string): Promise<string[]> {
  const response = await rawRequest(url, { method: 'GET', path: '/', headers: [['Origin', origin]] });
  return headerValues(response, 'access-control-allow-origin');
}

/** Polls until `check` holds, for at most 3 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 3 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('middleware over a watched allowlist file', () => {
  it('applies an edit of the file to the next requests without a restart (express)', async () => {
    writeFileSync(file, '# partners\nhttps://a.example.com\n');
    const mw = expressCors({ allowlist: file, credentials: true, watchOptions: FAST });
    await mw.ready;
    const app = express();
    app.use(mw);
    app.get('/', (_req, res) => res.send('ok'));
    running = await listen(createServer(app));
    expect(await acao(running.url, 'https://a.example.com')).toEqual(['https://a.example.com']);
    expect(await acao(running.url, 'https://b.example.com')).toEqual([]);

    replace('https://b.example.com\n');
    const url = running.url;
    await eventually(async () => (await acao(url, 'https://b.example.com')).length === 1);
    expect(await acao(url, 'https://a.example.com')).toEqual([]);
    const withCredentials = await rawRequest(url, {
      method: 'GET',
      path: '/',
      headers: [['Origin', 'https://b.example.com']],
    });
    expect(headerValues(withCredentials, 'access-control-allow-credentials')).toEqual(['true']);
    await mw.close();
  });

  it('keeps the last good version when an edit is invalid (node)', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const handle = nodeCors({ allowlist: file, watchOptions: FAST });
    await handle.ready;
    running = await listen(
      createServer((req, res) => {
        if (!handle(req, res)) res.end();
      }),
    );
    replace('https://a.example.com/with/path\n');
    await new Promise((r) => setTimeout(r, 500));
    expect(await acao(running.url, 'https://a.example.com')).toEqual(['https://a.example.com']);
    await handle.close();
  });

  it('refuses every origin while the file cannot be loaded, and says why through ready', async () => {
    const handle = nodeCors({ allowlist: join(dir, 'missing.list'), watchOptions: FAST });
    running = await listen(
      createServer((req, res) => {
        if (!handle(req, res)) res.end();
      }),
    );
    const error = await handle.ready.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).code).toBe('CG_ALLOWLIST_MISSING');
    const preflight = await rawRequest(running.url, {
      method: 'OPTIONS',
      path: '/',
      headers: [
        ['Origin', 'https://a.example.com'],
        ['Access-Control-Request-Method', 'GET'],
      ],
    });
    expect(preflight.status).toBe(403);
    await handle.close();
  });

  it('makes Fastify registration wait for the file, and fail when it is invalid', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const app = Fastify();
    await app.register(fastifyCors, { allowlist: file, watchOptions: FAST });
    app.get('/', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect(await acao(url, 'https://a.example.com')).toEqual(['https://a.example.com']);
    await app.close();

    writeFileSync(file, 'not an origin\n');
    const broken = Fastify();
    await expect(
      broken.register(fastifyCors, { allowlist: file, watchOptions: FAST }),
    ).rejects.toBeInstanceOf(AllowlistError);
    await broken.close().catch(() => undefined);
  });

  it('makes Fastify wait for a route’s own allowlist file, follows it, and fails ready when it is invalid', async () => {
    writeFileSync(file, 'https://partner.example\n');
    const app = Fastify();
    await app.register(fastifyCors, { origins: ['https://app.example.com'] });
    app.get('/', { config: { cors: { allowlist: file, watchOptions: FAST } } }, async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect(await acao(url, 'https://partner.example')).toEqual(['https://partner.example']);
    expect(await acao(url, 'https://app.example.com')).toEqual([]);
    replace('https://app.example.com\n');
    await eventually(async () => (await acao(url, 'https://app.example.com')).length === 1);
    expect(await acao(url, 'https://partner.example')).toEqual([]);
    await app.close();

    writeFileSync(file, 'not an origin\n');
    const broken = Fastify();
    await broken.register(fastifyCors, { origins: ['https://app.example.com'] });
    broken.get('/', { config: { cors: { allowlist: file, watchOptions: FAST } } }, async () => 'ok');
    await expect(broken.ready()).rejects.toBeInstanceOf(AllowlistError);
    await broken.close().catch(() => undefined);
  });

  it('uses a watcher started by the application and leaves it open on close (fetch)', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const watcher = await watchAllowlist(file, FAST);
    const handler = withCors(() => new Response('ok'), { allowlist: watcher });
    await handler.ready;
    const response = (await handler(
      new Request('http://api.test/', { headers: { Origin: 'https://a.example.com' } }),
    )) as Response;
    expect(response.headers.get('access-control-allow-origin')).toBe('https://a.example.com');
    await handler.close();
    expect(watcher.status().snapshot.version).toBe(1);
    const reloaded = await watcher.reload({ force: true });
    expect(reloaded.type).toBe('unchanged');
    await watcher.close();
  });

  it('refuses origins listed beside an allowlist file, at once', () => {
    expect(() => nodeCors({ allowlist: file, origins: ['https://a.example.com'] } as never)).toThrow(
      CorsConfigError,
    );
  });
});
