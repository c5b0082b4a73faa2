/**
 * An operator edits the allowlist in place in two pieces, the second well after the quiet period
 * (docs/allowlist.md "The partial-write rule"): the gateway never applies the first piece, and its
 * `/allowlist` says that a version is waiting meanwhile, so the admin can tell why the edit is not
 * in force yet. Black-box: the built CLI, a real file, a real upstream.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const C = 'https://c.example.com';

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;
let list: string;

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field
async function allowlist(): Promise<any> {
  const res = await fetch(`${gateway.adminUrl}/allowlist`);
  return res.json();
}

async function acao(origin: string): Promise<string | null> {
  const res = await fetch(gateway.url, { headers: { Origin: origin } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin');
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  list = tmp.file('origins.list', `${C}\n`);
  gateway = await startGateway(['--upstream', upstream.url, '--allowlist', list]);
});
afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

it('holds back the first piece of a two-piece in-place edit, shows /allowlist waiting, then applies the whole', async () => {
  expect((await allowlist()).waiting).toBe(null);
  const fd = openSync(list, 'w');
  try {
    // "https://b.exa" is itself a valid origin: applying the first piece would allow the wrong site.
    writeSync(fd, `${A}\nhttps://b.exa`);
    await waitFor(async () => (await allowlist()).waiting !== null, 3000, '/allowlist waiting');
    const held = await allowlist();
    expect(held.waiting).toMatchObject({ reason: 'no-final-newline' });
    expect(held.waiting.message).toContain('half-written');
    expect(held.version).toBe(1);
    expect(await acao('https://b.exa')).toBe(null);
    expect(await acao(A)).toBe(null);
    // The rest arrives long after the 50 ms quiet period, within the wait.
    writeSync(fd, 'mple.com\n');
  } finally {
    closeSync(fd);
  }
  await waitFor(async () => (await allowlist()).version === 2, 5000, 'the whole edit');
  const applied = await allowlist();
  expect(applied.entries.map((e: { origin: string }) => e.origin)).toEqual([A, B]);
  expect(applied.waiting).toBe(null);
  expect(applied.reloadsApplied).toBe(1);
  expect(await acao(B)).toBe(B);
});
