/**
 * Every console view under --workers (docs/gateway.md "Workers"): the cluster primary merges what
 * each worker saw into /origins and the candidate's report, counts summed. Black-box: the built
 * CLI with two workers, requests over raw sockets, one connection each so they spread over both.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const APP = 'https://app.example.com';
const SHOP = 'https://shop.example.com';
const EVIL = 'https://evil.test';
const TOKEN = 'workers-console-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let upstream: Upstream;
let tmp: TempDir;
let gw: Gateway;
// biome-ignore lint/suspicious/noExplicitAny: JSON answers read in assertions
type Json = any;

/** One request on its own connection (Connection: close): the status code. */
function rawGet(url: string, origin: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5s')));
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(text.slice(9, 12))));
    socket.write(
      `GET /w HTTP/1.1\r\nHost: ${hostname}:${port}\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`,
    );
  });
}

async function adminJson(path: string, init: RequestInit = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${gw.adminUrl}${path}`, init);
  return { status: res.status, json: await res.json() };
}

/** Sends `count` requests from `origin`, each on a new connection; every answer must be `status`. */
async function send(origin: string, count: number, status: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await rawGet(gw.url, origin)).toBe(status);
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  const list = tmp.file('allowed_origins.list', `${APP}\n${SHOP}\n`);
  const tokens = tmp.file('tokens', `ops:${TOKEN}\n`);
  gw = await startGateway([
    '--upstream',
    upstream.url,
    '--allowlist',
    list,
    '--admin-token-file',
    tokens,
    '--workers',
    '2',
  ]);
}, 60_000);
afterAll(async () => {
  if (gw !== undefined) expect(await gw.stop()).toBe(0);
  await upstream?.close();
  tmp?.remove();
});

describe('console views under --workers 2', () => {
  it('answers /origins with every worker’s traffic, counts summed exactly', async () => {
    await send(APP, 7, 200);
    await send(SHOP, 4, 200);
    await send(EVIL, 5, 200); // a GET without credentials passes, refused CORS headers only
    const { status, json } = await adminJson('/origins');
    expect(status).toBe(200);
    const byOrigin = Object.fromEntries(json.origins.map((o: Json) => [o.origin, o]));
    expect(byOrigin[APP]).toMatchObject({ allowed: 7, refused: 0 });
    expect(byOrigin[SHOP]).toMatchObject({ allowed: 4, refused: 0 });
    expect(byOrigin[EVIL]).toMatchObject({ allowed: 0, refused: 5 });
    expect(Date.parse(byOrigin[APP].lastSeen)).toBeGreaterThanOrEqual(Date.parse(byOrigin[APP].firstSeen));
  });

  it('stages a candidate in every worker and reports what it would change over all their traffic', async () => {
    const staged = await adminJson('/candidate', {
      method: 'PUT',
      headers: AUTH,
      body: `${APP}\n${EVIL}\n`,
    });
    expect(staged.status).toBe(200);
    const before = Object.fromEntries(staged.json.differences.map((d: Json) => [d.origin, d]));
    // Judged at once over what both workers had already seen.
    expect(before[SHOP]).toMatchObject({
      inForce: 'allowed',
      candidate: 'refused',
      count: 4,
      seenBefore: true,
    });
    expect(before[EVIL]).toMatchObject({
      inForce: 'refused',
      candidate: 'allowed',
      count: 5,
      seenBefore: true,
    });
    expect(before[APP]).toBeUndefined();

    await send(SHOP, 6, 200);
    const after = await adminJson('/candidate');
    expect(after.status).toBe(200);
    const shop = after.json.differences.find((d: Json) => d.origin === SHOP);
    // Each worker counts its recorded share plus the requests it served since: 4 + 6 in all.
    expect(shop).toMatchObject({ count: 10, sampleMethod: 'GET', samplePath: '/w' });
    expect(shop.seenBefore).toBeUndefined();
  });

  it('keeps the staged candidate when a worker is killed: the worker started in its place evaluates it too', async () => {
    const workerPids = (): number[] =>
      gw.logs.filter((l) => l['event'] === 'worker-listening').map((l) => Number(l['pid']));
    const before = workerPids();
    const victim = before[before.length - 1]!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => workerPids().length > before.length, 15_000, 'a new worker listening');
    await waitFor(async () => (await adminJson('/ready')).json.ready === true, 15_000, 'two workers ready');
    const survivor = (await adminJson('/candidate')).json;
    expect(survivor.source).not.toBeNull();
    const evilBefore = survivor.differences.find((d: Json) => d.origin === EVIL)?.count ?? 0;
    // One connection each, spread over both workers: every one counted only if both evaluate it.
    await send(EVIL, 6, 200);
    const after = (await adminJson('/candidate')).json;
    expect(after.differences.find((d: Json) => d.origin === EVIL)).toMatchObject({ count: evilBefore + 6 });
  });

  it('shows the candidate section in the console page, and drops the candidate in every worker', async () => {
    const page = await fetch(`${gw.adminUrl}/`, { headers: AUTH });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="candidate"');
    expect((await adminJson('/candidate', { method: 'DELETE', headers: AUTH })).status).toBe(200);
    const gone = await adminJson('/candidate');
    expect(gone.json).toEqual({ source: null, differences: [] });
  });

  it('refuses to stage a candidate without a token (401), in no worker', async () => {
    const r = await fetch(`${gw.adminUrl}/candidate`, { method: 'PUT', body: `${EVIL}\n` });
    await r.arrayBuffer();
    expect(r.status).toBe(401);
    expect((await adminJson('/candidate')).json.source).toBeNull();
  });
});
