/** The admin listener and the allowlist lifecycle (reload, SIGHUP, rejected versions), black-box. */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeniedTable } from '../src/server/denied.js';
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

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;
let list: string;

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field in each test
type Json = any;

async function admin(
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; json: () => Json }> {
  const res = await fetch(`${gateway.adminUrl}${path}`, { method });
  const body = await res.text();
  return { status: res.status, body, json: () => JSON.parse(body) };
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  list = tmp.file('allowed_origins.list', `# comment\n${APP}\n`);
  gateway = await startGateway(['--upstream', upstream.url, '--allowlist', list, '--methods', 'PUT']);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

describe('admin listener', () => {
  it('answers /health and /ready once a valid allowlist is in force', async () => {
    expect((await admin('/health')).json()).toEqual({ status: 'ok' });
    const ready = await admin('/ready');
    expect(ready.status).toBe(200);
    expect(ready.json().ready).toBe(true);
  });

  it('does not serve the admin endpoints on the traffic port', async () => {
    await fetch(`${gateway.url}/health`);
    expect(upstream.received.some((r) => r.url === '/health')).toBe(true);
  });

  it('shows the allowlist in force: version, hash, entries with their lines', async () => {
    const a = (await admin('/allowlist')).json();
    expect(a.version).toBeGreaterThanOrEqual(1);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.entries).toEqual([{ origin: APP, line: 2 }]);
    expect(a.lastError).toBeNull();
  });

  it('keeps the last good version when the file gets an error, and reports the error with its line', async () => {
    const before = (await admin('/allowlist')).json().version;
    tmp.atomic('allowed_origins.list', `${APP}\nhttps://new.example.com\nnot an origin\n`);
    await waitFor(
      async () => (await admin('/allowlist')).json().lastError !== null,
      3000,
      'the rejected version',
    );
    const a = (await admin('/allowlist')).json();
    expect(a.version).toBe(before);
    expect(a.lastError.issues[0]).toMatchObject({ line: 3, severity: 'error' });
    // The last good version still decides.
    const res = await fetch(`${gateway.url}/x`, { headers: { Origin: 'https://new.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const metrics = (await admin('/metrics')).body;
    expect(metrics).toMatch(/corsgate_allowlist_reload_failures_total\{result="rejected"\} [1-9]/);
    expect(metrics).toContain('corsgate_allowlist_last_reload_success 0');
  });

  it('applies a fixed file within a second and clears the error', async () => {
    const before = (await admin('/allowlist')).json().version;
    tmp.atomic('allowed_origins.list', `${APP}\nhttps://new.example.com\n`);
    await waitFor(async () => (await admin('/allowlist')).json().version > before, 3000, 'the new version');
    const a = (await admin('/allowlist')).json();
    expect(a.lastError).toBeNull();
    const res = await fetch(`${gateway.url}/x`, { headers: { Origin: 'https://new.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://new.example.com');
    const metrics = (await admin('/metrics')).body;
    expect(metrics).toContain(`corsgate_allowlist_version ${a.version}`);
    expect(metrics).toContain('corsgate_allowlist_entries 2');
    expect(metrics).toContain('corsgate_allowlist_last_reload_success 1');
  });

  it('forces a re-read on POST /reload and refuses GET /reload', async () => {
    const r = await admin('/reload', 'POST');
    expect(r.status).toBe(200);
    expect(['unchanged', 'reloaded']).toContain(r.json().result);
    expect((await admin('/reload')).status).toBe(405);
  });

  it('re-reads the allowlist on SIGHUP', async () => {
    const before = (await admin('/allowlist')).json().lastReload.at;
    await new Promise((r) => setTimeout(r, 20));
    gateway.proc.kill('SIGHUP');
    await waitFor(
      async () => (await admin('/allowlist')).json().lastReload.at !== before,
      3000,
      'a re-read after SIGHUP',
    );
    expect(gateway.logs.some((l) => l['event'] === 'sighup')).toBe(true);
    expect(gateway.proc.exitCode).toBeNull();
  });

  it('counts requests by kind and decision, denials by reason, and upstream latency', async () => {
    await fetch(`${gateway.url}/m`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
    });
    await fetch(`${gateway.url}/m`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://nope.test', 'Access-Control-Request-Method': 'PUT' },
    });
    await fetch(`${gateway.url}/m`, { headers: { Origin: APP } });
    const m = (await admin('/metrics')).body;
    expect(m).toMatch(/corsgate_requests_total\{kind="preflight",decision="allowed"\} [1-9]/);
    expect(m).toMatch(/corsgate_requests_total\{kind="preflight",decision="refused"\} [1-9]/);
    expect(m).toMatch(/corsgate_requests_total\{kind="actual",decision="allowed"\} [1-9]/);
    expect(m).toMatch(/corsgate_denials_total\{reason="origin-not-allowed"\} [1-9]/);
    expect(m).toMatch(/corsgate_upstream_response_seconds_count [1-9]/);
    expect(m).toContain('corsgate_allowlist_last_reload_timestamp_seconds');
  });

  it('lists refused origins with counts, first and last seen, a sample method and path, and the reason', async () => {
    for (let i = 0; i < 3; i++)
      await fetch(`${gateway.url}/denied-path?i=${i}`, {
        method: 'DELETE',
        headers: { Origin: 'https://attacker.test' },
      });
    const d = (await admin('/denied')).json();
    const entry = d.origins.find((o: { origin: string }) => o.origin === 'https://attacker.test');
    expect(entry).toMatchObject({
      count: 3,
      reason: 'origin-not-allowed',
      sampleMethod: 'DELETE',
      samplePath: '/denied-path',
    });
    expect(Date.parse(entry.firstSeen)).toBeLessThanOrEqual(Date.parse(entry.lastSeen));
  });

  it('logs a denial with its reason once per origin and interval, counting the suppressed ones', async () => {
    for (let i = 0; i < 5; i++)
      await fetch(`${gateway.url}/log`, { method: 'POST', headers: { Origin: 'https://logged.test' } });
    await waitFor(
      () => gateway.logs.some((l) => l['origin'] === 'https://logged.test'),
      2000,
      'the denial log line',
    );
    const lines = gateway.logs.filter(
      (l) => l['event'] === 'denied' && l['origin'] === 'https://logged.test',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'origin-not-allowed', method: 'POST', level: 40 });
  });

  it('keeps the denied table bounded while 1,500 distinct refused origins arrive', async () => {
    const agent = new Agent({ connections: 16 });
    const origins = Array.from({ length: 1500 }, (_, i) => `https://o${i}.flood.test`);
    for (let i = 0; i < origins.length; i += 100)
      await Promise.all(
        origins.slice(i, i + 100).map(async (o) => {
          const r = await request(`${gateway.url}/flood`, {
            method: 'POST',
            headers: { origin: o },
            dispatcher: agent,
          });
          await r.body.dump();
          expect(r.statusCode).toBe(403);
        }),
      );
    await agent.close();
    const d = (await admin('/denied?limit=10000')).json();
    expect(d.capacity).toBe(1000);
    expect(d.origins.length).toBeLessThanOrEqual(1000);
    // Newest first: one of the last batch of 100 (they arrive concurrently, in no fixed order).
    expect(origins.slice(1400)).toContain(d.origins[0].origin);
    expect(d.evicted).toBeGreaterThanOrEqual(500);
    // The global log cap holds: far fewer lines than distinct origins.
    expect(
      gateway.logs.filter((l) => l['event'] === 'denied' && String(l['origin']).endsWith('.flood.test'))
        .length,
    ).toBeLessThan(300);
  });

  it('answers 404 for an unknown admin path', async () => {
    expect((await admin('/nope')).status).toBe(404);
  });
});

describe('denied table', () => {
  it('holds at most its capacity however many distinct origins arrive (100,000)', () => {
    const table = new DeniedTable(1000);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++)
      table.record(`https://o${i}.example`, 'origin-not-allowed', 'POST', '/x', i);
    expect(table.size).toBe(1000);
    expect(table.evicted).toBe(99_000);
    expect(table.list(1)[0]!.origin).toBe('https://o99999.example');
    // A hit moves an entry to the front and counts it.
    table.record('https://o99000.example', 'origin-not-allowed', 'GET', '/y', 200_000);
    expect(table.list(1)[0]).toMatchObject({
      origin: 'https://o99000.example',
      count: 2,
      sampleMethod: 'GET',
    });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('clips over-long origins so one entry stays small', () => {
    const table = new DeniedTable(10);
    const e = table.record(
      `https://${'a'.repeat(10_000)}.example`,
      'origin-malformed',
      'GET',
      `/${'p'.repeat(10_000)}`,
      1,
    );
    expect(e.origin.length).toBe(256);
    expect(e.samplePath.length).toBe(256);
  });
});

describe('admin port 0', () => {
  it('disables the admin listener', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list], { admin: false });
    try {
      const listening = gw.logs.find((l) => l['event'] === 'listening')!;
      expect(listening['admin']).toBeNull();
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });
});
