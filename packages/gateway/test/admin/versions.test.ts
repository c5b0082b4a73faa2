/**
 * The version the console shows is the list's, the same in every process (docs/console.md
 * "Versions"): with `--workers 2`, after writes through the admin API and after both workers were
 * killed and restarted (each restarted worker counts its own versions from 1 again), the console's
 * "Version in force", `/allowlist`, `/ready` and `POST /reload` all name the version the audit
 * log's last row went to.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from '../helpers.js';

const APP = 'https://app.example.com';
const TOKEN = 'versions-secret-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field
type Json = any;

async function json(path: string, init: RequestInit = {}): Promise<Json> {
  return (await fetch(`${gateway.adminUrl}${path}`, init)).json();
}

function workerPids(): number[] {
  return gateway.logs.filter((l) => l['event'] === 'worker-listening').map((l) => l['pid'] as number);
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  const list = tmp.file('allowed_origins.list', `${APP}\n`);
  const tokens = tmp.file('tokens', `ops:${TOKEN}\n`);
  gateway = await startGateway([
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
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

describe('the version in force with --workers 2', () => {
  it('is the list’s version on the console, /allowlist, /ready and /reload, also after both workers restarted', async () => {
    for (const origin of [
      'https://one.example.com',
      'https://two.example.com',
      'https://three.example.com',
    ]) {
      const res = await fetch(`${gateway.adminUrl}/allowlist/origins`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ origin }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await waitFor(() => workerPids().length >= 2, 10_000, 'both workers listening');
    const first = workerPids().slice(0, 2);
    for (const pid of first) process.kill(pid, 'SIGKILL');
    // The primary starts two new workers; each counts its own versions from 1.
    await waitFor(() => workerPids().length >= 4, 20_000, 'two restarted workers listening');
    await waitFor(async () => (await fetch(`${gateway.adminUrl}/ready`)).status === 200, 10_000, 'ready');

    const audit = (await json('/audit')).records;
    const listVersion = audit[0].toVersion as number;
    expect(audit[0].fromVersion).toBe(listVersion - 1);
    expect((await json('/allowlist')).version).toBe(listVersion);
    expect((await json('/ready')).version).toBe(listVersion);
    const reload = await json('/reload', { method: 'POST' });
    expect(reload.workers).toHaveLength(2);
    for (const w of reload.workers) expect(w).toMatchObject({ version: listVersion, applied: true });
    const page = await (await fetch(`${gateway.adminUrl}/`)).text();
    expect(page).toContain(`<dt>Version in force</dt><dd>${listVersion}</dd>`);
    expect(page).toContain(`${listVersion - 1} → ${listVersion}`);
  }, 60_000);
});
