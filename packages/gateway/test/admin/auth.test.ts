/**
 * Admin tokens and the audit log's bound, in process: an admin listener configured as if it were
 * bound off loopback (the suite itself only listens on 127.0.0.1) needs a token for every read.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchAllowlist } from 'corsgate/allowlist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/admin/admin.js';
import { AuditLog } from '../../src/admin/audit.js';
import { AdminAuth } from '../../src/admin/guard.js';
import { isLoopbackHost, parseTokens, verifyBearer } from '../../src/config/admin-tokens.js';
import { DEFAULTS } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { localAdminBackend } from '../../src/run/admin-backends.js';
import { DeniedTable } from '../../src/server/denied.js';
import { type TempDir, tempDir } from '../helpers.js';

const TOKEN = 'reader-secret-0123456789';

describe('admin tokens', () => {
  const { tokens, problems } = parseTokens(
    '# team\nops:ops-secret-0123456789abc\n\nci : ci-secret-0123456789abc\n',
  );

  it('reads name:token lines, skipping comments and blank lines', () => {
    expect(problems).toEqual([]);
    expect(tokens.map((t) => t.name)).toEqual(['ops', 'ci']);
  });

  it('names the token presented, and no token for a near miss, a prefix, a longer value or another scheme', () => {
    expect(verifyBearer(tokens, 'Bearer ci-secret-0123456789abc')).toBe('ci');
    expect(verifyBearer(tokens, 'bearer  ops-secret-0123456789abc')).toBe('ops');
    for (const h of [
      'Bearer ops-secret-0123456789abd',
      'Bearer ops-secret-0123456789ab',
      'Bearer ops-secret-0123456789abcd',
      'Token ops-secret-0123456789abc',
      'Bearer',
      '',
    ])
      expect(verifyBearer(tokens, h), h).toBeUndefined();
    expect(verifyBearer(tokens, undefined)).toBeUndefined();
  });

  it('refuses duplicate names, short tokens, and tokens with spaces', () => {
    const r = parseTokens('a:aaaaaaaaaaaaaaaa1\na:bbbbbbbbbbbbbbbb1\nb:short\nc:has space inside 012345\n');
    expect(r.tokens.map((t) => t.name)).toEqual(['a']);
    expect(r.problems).toHaveLength(3);
  });

  it('counts 127.0.0.0/8, ::1 and localhost as loopback, and nothing else', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('the audit log', () => {
  let tmp: TempDir;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.remove());

  it('stays bounded: never more than twice its capacity on disk, newest first when read', async () => {
    const path = `${tmp.dir}/audit.jsonl`;
    const log = new AuditLog(path, 3);
    for (let i = 1; i <= 20; i++) {
      await log.append({
        at: new Date().toISOString(),
        token: 'ops',
        address: '127.0.0.1',
        action: 'add',
        fromVersion: i,
        toVersion: i + 1,
        hash: 'h',
        diff: { added: [`https://a${i}.example`], removed: [] },
      });
      const lines = readFileSync(path, 'utf8').trim().split('\n').length;
      expect(lines).toBeLessThan(6);
    }
    const records = await log.list(100);
    expect(records[0]!.toVersion).toBe(21);
    expect(records.map((r) => r.toVersion)).toEqual(
      [...records.map((r) => r.toVersion)].sort((a, b) => b - a),
    );
  });
});

describe('an admin listener off loopback', () => {
  let tmp: TempDir;
  let server: Server;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    tmp = tempDir();
    const list = tmp.file('list', 'https://app.example.com\n');
    const watcher = await watchAllowlist(list);
    close = () => watcher.close();
    const config = {
      allowlist: list,
      auditFile: `${list}.audit.jsonl`,
      policy: {},
      adminHost: '0.0.0.0',
      ...DEFAULTS,
    } as unknown as GatewayConfig;
    const auth = new AdminAuth(parseTokens(`reader:${TOKEN}`).tokens, false);
    server = createAdminServer(localAdminBackend(config, watcher, new DeniedTable(10)), auth);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await close();
    tmp.remove();
  });

  it('needs a token for every read: /allowlist, /denied, /metrics, /audit, /explain → 401', async () => {
    for (const path of ['/allowlist', '/denied', '/metrics', '/audit', '/explain?origin=https://a.b']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="corsgate-admin"');
    }
  });

  it('serves the reads with the token, and /health without one', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${base}/allowlist`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('answers the probes /health and /ready without a token: a kubelet probe carries none', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it('shows the console only as a sign-in form without a session: no origin, no path', async () => {
    const res = await fetch(`${base}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('name="token"');
    expect(html).not.toContain('app.example.com');
    expect(html).not.toContain(tmp.dir);
  });
});
