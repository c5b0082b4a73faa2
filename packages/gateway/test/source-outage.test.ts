/**
 * A source that fails under a running gateway, tried the way an unlucky operator meets it
 * (docs/console.md "When the source has lost its text", "During an outage"; docs/sources.md): the
 * file deleted, Redis wiped (FLUSHALL) or killed by pid, while the console's Allow button and the
 * API keep being used. And secrets that must never be shown: a Redis password in every error,
 * `/ready` open to probes, `/audit`. Black-box: the built `corsgate`, a real `redis-server`.
 */
import { rmSync } from 'node:fs';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedis } from '../../redis/test/_redis-server.js';
import {
  freePorts,
  type Gateway,
  runCorsgate,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const NEW = 'https://new.example.com';
const TOKEN = 'ops-secret-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let upstream: Upstream;
let tmp: TempDir;
let tokens: string;
const gateways: Gateway[] = [];
let redis: RedisServer | undefined;

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  tokens = tmp.file('tokens', `ops:${TOKEN}\n`);
});
afterAll(async () => {
  await upstream?.close();
  tmp?.remove();
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop('SIGKILL')));
  await redis?.stop();
  redis = undefined;
});

let audits = 0;
async function gateway(args: string[], adminPort?: number): Promise<Gateway> {
  const audit = `${tmp.dir}/audit-${++audits}.jsonl`;
  const gw = await startGateway(
    ['--upstream', upstream.url, '--admin-token-file', tokens, '--audit-file', audit, ...args],
    { cwd: tmp.dir, adminPort },
  );
  gateways.push(gw);
  return gw;
}

/** Two nodes started at once, on admin ports picked together so they never collide. */
async function twoNodes(args: string[]): Promise<Gateway[]> {
  const ports = await freePorts(2);
  return Promise.all(ports.map((port) => gateway(args, port)));
}

async function allowed(gw: Gateway, origin: string): Promise<boolean> {
  const res = await fetch(`${gw.url}/json`, { headers: { Origin: origin } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin') === origin;
}

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field
type Json = any;

async function adminJson(
  gw: Gateway,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${gw.adminUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
}

/** What the console's Allow button sends: an add without If-Match. */
const allowClick = (gw: Gateway, origin: string) =>
  adminJson(gw, '/allowlist/origins', {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify({ origin }),
  });

const consoleAdd = (gw: Gateway, origin: string) =>
  fetch(`${gw.adminUrl}/console/add`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ origin, from: 'denied' }).toString(),
  });

describe('an add when the source has lost its text', () => {
  it('refuses the Allow click after the file is deleted (503 CG_GATEWAY_ADMIN_SOURCE_LOST), keeps every origin allowed, audits nothing, and writes from the restored list', async () => {
    const list = tmp.file('lost.list', `# partners\n${A}\n${B}\n`);
    const gw = await gateway(['--allowlist', list]);
    expect(await allowed(gw, A)).toBe(true);
    rmSync(list);
    await waitFor(
      async () => (await adminJson(gw, '/allowlist')).json.lastReload.result === 'missing',
      5000,
      'the deletion seen',
    );

    const click = await allowClick(gw, NEW);
    expect(click.status).toBe(503);
    expect(click.json).toMatchObject({ code: 'CG_GATEWAY_ADMIN_SOURCE_LOST', version: 1 });
    const form = await consoleAdd(gw, NEW);
    expect(form.status).toBe(503);
    expect(await form.text()).toContain('CG_GATEWAY_ADMIN_SOURCE_LOST');
    expect(await allowed(gw, A)).toBe(true);
    expect(await allowed(gw, B)).toBe(true);
    expect(await allowed(gw, NEW)).toBe(false);
    expect((await adminJson(gw, '/audit')).json.records).toEqual([]);
    const page = await (await fetch(`${gw.adminUrl}/`)).text();
    expect(page).toContain('CG_ALLOWLIST_MISSING');
    expect(page).toContain('version 1 is in force');
    expect(page).toContain(B);

    // Restored, the same click writes one version from the restored text: nothing removed.
    tmp.atomic('lost.list', `# partners\n${A}\n${B}\n`);
    await waitFor(
      async () => (await allowClick(gw, NEW)).status === 200,
      5000,
      'the write after the restore',
    );
    for (const origin of [A, B, NEW]) expect(await allowed(gw, origin)).toBe(true);
    const [record] = (await adminJson(gw, '/audit')).json.records;
    expect(record.diff).toEqual({ added: [NEW], removed: [] });
  }, 60_000);

  it('refuses the Allow click after Redis is wiped (FLUSHALL) on every node, keeps every origin allowed, and stores nothing', async () => {
    redis = await startRedis();
    const initial = tmp.file('wiped.list', `${A}\n${B}\n`);
    expect((await runCorsgate(['allowlist', 'push', initial, '--to', redis.url])).code).toBe(0);
    const config = tmp.file(
      'wiped.yaml',
      `allowlist: ${redis.url}\nallowlistRedis:\n  pollIntervalMs: 200\n  commandTimeoutMs: 500\n`,
    );
    const nodes = await twoNodes(['--config', config]);
    for (const gw of nodes) await waitFor(() => allowed(gw, B), 5000, 'B on every node');
    const client = createClient({ url: redis.url });
    await client.connect();
    await client.sendCommand(['FLUSHALL']);
    for (const gw of nodes)
      await waitFor(
        async () => (await adminJson(gw, '/allowlist')).json.lastReload.result === 'missing',
        5000,
        'the wipe seen',
      );

    const click = await allowClick(nodes[1]!, NEW);
    expect(click.status).toBe(503);
    expect(click.json).toMatchObject({ code: 'CG_GATEWAY_ADMIN_SOURCE_LOST', version: 1 });
    expect(await client.sendCommand(['EXISTS', 'corsgate:allowlist'])).toBe(0);
    for (const gw of nodes) {
      expect(await allowed(gw, A)).toBe(true);
      expect(await allowed(gw, B)).toBe(true);
      expect((await adminJson(gw, '/audit')).json.records).toEqual([]);
    }
    client.destroy();
  }, 60_000);
});

describe('the console and the API while Redis is unreachable', () => {
  it('shows the version in force, says the source is unreachable, and refuses writes with CG_ALLOWLIST_UNREACHABLE (never 500)', async () => {
    redis = await startRedis();
    const initial = tmp.file('down.list', `${A}\n${B}\n`);
    expect((await runCorsgate(['allowlist', 'push', initial, '--to', redis.url])).code).toBe(0);
    const config = tmp.file(
      'down.yaml',
      `allowlist: ${redis.url}\nallowlistRedis:\n  pollIntervalMs: 200\n  commandTimeoutMs: 500\n`,
    );
    const gw = await gateway(['--config', config]);
    await waitFor(() => allowed(gw, B), 5000, 'B in force');
    await redis.kill();
    await waitFor(
      async () => (await adminJson(gw, '/allowlist')).json.staleSince !== null,
      5000,
      'the outage seen',
    );

    const page = await fetch(`${gw.adminUrl}/`, { headers: AUTH });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('CG_ALLOWLIST_UNREACHABLE');
    expect(html).toContain('version 1 is in force');
    expect(html).toContain(B);
    expect(html).not.toContain('action="/console/add"');

    const form = await consoleAdd(gw, NEW);
    expect(form.status).toBe(503);
    expect(await form.text()).toContain('CG_ALLOWLIST_UNREACHABLE');
    const api = await allowClick(gw, NEW);
    expect(api.status).toBe(503);
    expect(api.json.code).toBe('CG_ALLOWLIST_UNREACHABLE');
    expect(await allowed(gw, B)).toBe(true);
    expect(await allowed(gw, NEW)).toBe(false);
  }, 60_000);
});

describe('secrets stay secret', () => {
  const PASSWORDS = [
    ['a "/" in it', 'pa/ss-s3cret', 'pa/ss-s3cret'],
    ['a "/" after digits', '12/s3cret', '12/s3cret'],
    ['a bad percent escape', '%zzs3cret', 'zzs3cret'],
  ] as const;

  it.concurrent.each(PASSWORDS)(
    'never prints a Redis password with %s, and every command exits 2 with the source code',
    async (_, password, secret) => {
      const url = `redis://ops:${password}@127.0.0.1:${await freePort()}`;
      const list = tmp.file('secret-in.list', `${A}\n`);
      // The six commands are independent: run at once, each checked on its own.
      const commands = [
        ['allowlist', 'pull', '--from', url],
        ['allowlist', 'push', list, '--to', url],
        ['allowlist', 'add', NEW, '--to', url],
        ['lint', url],
        ['explain', '--allowlist', url, '--origin', A],
        ['serve', '--upstream', upstream.url, '--allowlist', url, '--admin-port', '0'],
      ];
      const results = await Promise.all(commands.map((args) => runCorsgate(args, tmp.dir)));
      for (const [i, args] of commands.entries()) {
        const r = results[i]!;
        expect(r.code, `${args[0]} ${args[1]}: ${r.stderr}`).toBe(2);
        expect(r.stdout + r.stderr, args.join(' ')).toMatch(/CG_ALLOWLIST_(SOURCE_INVALID|UNREACHABLE)/);
        expect(r.stdout + r.stderr, args.join(' ')).not.toContain(secret);
        expect(r.stdout + r.stderr, args.join(' ')).not.toContain('s3cret');
      }
    },
    120_000,
  );

  it('never prints the password of a Redis URL serve refuses (an unknown parameter)', async () => {
    const url = `redis://ops:s3cret@127.0.0.1:${await freePort()}/0?db=2`;
    const r = await runCorsgate([
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      url,
      '--admin-port',
      '0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CG_ALLOWLIST_SOURCE_INVALID');
    expect(r.stderr).toContain('ops:***@');
    expect(r.stderr).not.toContain('s3cret');
  }, 30_000);

  it('answers /ready while Redis is down with ready and version only: no host, port, user, database or key', async () => {
    const port = await freePort();
    const url = `redis://probe-user:s3cret@127.0.0.1:${port}/7?key=tenant-secret-key`;
    const config = tmp.file(
      'ready.yaml',
      `allowlist: "${url}"\nallowlistRedis:\n  commandTimeoutMs: 300\n  startTimeoutMs: 300\n`,
    );
    const gw = await gateway(['--config', config]);
    const res = await fetch(`${gw.adminUrl}/ready`);
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(body)).toEqual({ ready: false, version: 0 });
    for (const leak of [String(port), 'probe-user', 's3cret', 'tenant-secret-key', '127.0.0.1', '/7'])
      expect(body).not.toContain(leak);
  }, 30_000);

  it('answers /audit with the records only, never the audit file’s path', async () => {
    const list = tmp.file('audited.list', `${A}\n`);
    const gw = await gateway(['--allowlist', list]);
    expect((await allowClick(gw, NEW)).status).toBe(200);
    const res = await fetch(`${gw.adminUrl}/audit`, { headers: AUTH });
    const body = await res.text();
    expect(Object.keys(JSON.parse(body))).toEqual(['records']);
    expect(body).not.toContain(tmp.dir);
    expect(body).not.toContain('audit.jsonl');
  }, 30_000);
});
