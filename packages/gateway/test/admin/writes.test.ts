/**
 * The admin write API through the spawned gateway (docs/console.md "Writes"): every write is
 * authenticated, linted, applied as one version, audited, and in force for the next request.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../redis/test/_redis-server.js';
import {
  type Gateway,
  raw,
  runCorsgate,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
} from '../helpers.js';

const APP = 'https://app.example.com';
const NEW = 'https://new.example.com';
const TOKEN = 'ops-secret-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;
let list: string;

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field in each test
type Json = any;

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Headers; json: Json }> {
  const res = await fetch(`${gateway.adminUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? null : JSON.parse(text) };
}

const add = (origin: string, headers: Record<string, string> = AUTH) =>
  call('/allowlist/origins', { method: 'POST', headers, body: JSON.stringify({ origin }) });

async function version(): Promise<number> {
  return (await call('/allowlist')).json.version;
}

async function audit(): Promise<Json[]> {
  return (await call('/audit')).json.records;
}

/** What the traffic listener answers a refused-or-allowed origin's POST now. */
async function trafficPost(origin: string): Promise<{ status: number; acao: string | null }> {
  const res = await fetch(`${gateway.url}/items`, {
    method: 'POST',
    headers: { Origin: origin },
    body: '{}',
  });
  await res.arrayBuffer();
  return { status: res.status, acao: res.headers.get('access-control-allow-origin') };
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  list = tmp.file('allowed_origins.list', `# the API's callers\n${APP}\n`);
  const tokens = tmp.file('tokens', `# name:token\nops:${TOKEN}\nci:ci-secret-0123456789abcdef\n`);
  gateway = await startGateway([
    '--upstream',
    upstream.url,
    '--allowlist',
    list,
    '--admin-token-file',
    tokens,
  ]);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

describe('admin writes: authentication', () => {
  it('refuses a write without a token with 401 and a Bearer challenge, and changes nothing', async () => {
    const before = readFileSync(list, 'utf8');
    const res = await add(NEW, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="corsgate-admin"');
    expect(res.json.code).toBe('CG_GATEWAY_ADMIN_UNAUTHORIZED');
    expect(readFileSync(list, 'utf8')).toBe(before);
  });

  it('refuses a wrong token, a token one character short, and a non-Bearer scheme with 401', async () => {
    for (const authorization of [
      'Bearer ops-secret-0123456789abcdeX',
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`,
      `Bearer ${TOKEN} extra`,
    ]) {
      const res = await add(NEW, { Authorization: authorization });
      expect(res.status, authorization).toBe(401);
    }
    expect((await audit()).length).toBe(0);
  });

  it('refuses every write method without a token, reads stay open on loopback', async () => {
    expect((await call('/allowlist', { method: 'PUT', body: `${NEW}\n` })).status).toBe(401);
    expect(
      (await call(`/allowlist/origins?origin=${encodeURIComponent(APP)}`, { method: 'DELETE' })).status,
    ).toBe(401);
    expect((await call('/allowlist')).status).toBe(200);
  });
});

describe('admin writes: cross-site browsers', () => {
  it('refuses a write whose Origin is another site with 403, even with a valid token', async () => {
    const res = await add(NEW, { ...AUTH, Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('CG_GATEWAY_ADMIN_CROSS_SITE');
    const nullOrigin = await add(NEW, { ...AUTH, Origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    // Another port of the same machine is another origin: a local dev server's page is refused too.
    const admin = new URL(gateway.adminUrl);
    const otherPort = await add(NEW, { ...AUTH, Origin: `http://127.0.0.1:${Number(admin.port) + 1}` });
    expect(otherPort.status).toBe(403);
    expect(readFileSync(list, 'utf8')).not.toContain(NEW);
  });

  it("takes a write whose Origin is the listener's own (the console's form posts), http or https behind a proxy", async () => {
    const admin = new URL(gateway.adminUrl);
    for (const scheme of ['http', 'https']) {
      const res = await call(
        `/allowlist/origins?origin=${encodeURIComponent('https://never-listed.example')}`,
        {
          method: 'DELETE',
          headers: { ...AUTH, Origin: `${scheme}://${admin.host}`, 'Sec-Fetch-Site': 'same-origin' },
        },
      );
      expect(res.status, scheme).toBe(404);
      expect(res.json.code).toBe('CG_GATEWAY_ADMIN_NOT_LISTED');
    }
  });

  it('refuses a write whose Sec-Fetch-Site is cross-site or same-site with 403', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await add(NEW, { ...AUTH, 'Sec-Fetch-Site': site });
      expect(res.status, site).toBe(403);
    }
    expect(readFileSync(list, 'utf8')).not.toContain(NEW);
  });

  it('refuses a write and the console under a foreign Host (DNS rebinding) with 421, even with a valid token', async () => {
    const port = Number(new URL(gateway.adminUrl).port);
    const before = readFileSync(list, 'utf8');
    const body = JSON.stringify({ origin: NEW });
    const write = await raw(
      port,
      `POST /allowlist/origins HTTP/1.1\nHost: rebind.evil.example:${port}\nOrigin: http://rebind.evil.example:${port}\nAuthorization: Bearer ${TOKEN}\nContent-Type: application/json\nContent-Length: ${body.length}\nConnection: close\n\n${body}`,
    );
    expect(write.status).toBe(421);
    expect(readFileSync(list, 'utf8')).toBe(before);
    const page = await raw(port, `GET / HTTP/1.1\nHost: rebind.evil.example:${port}\nConnection: close\n\n`);
    expect(page.status).toBe(421);
    expect(page.body).not.toContain(APP);
    const own = await raw(port, `GET / HTTP/1.1\nHost: 127.0.0.1:${port}\nConnection: close\n\n`);
    expect(own.status).toBe(200);
  });

  it('never sends Access-Control-* headers, to a preflight or to a request with an Origin', async () => {
    const port = Number(new URL(gateway.adminUrl).port);
    const preflight = await raw(
      port,
      `OPTIONS /allowlist/origins HTTP/1.1\nHost: 127.0.0.1:${port}\nOrigin: https://evil.example\nAccess-Control-Request-Method: POST\nAccess-Control-Request-Headers: authorization\nConnection: close\n\n`,
    );
    expect(preflight.lines.filter(([n]) => n.startsWith('access-control-'))).toEqual([]);
    const read = await raw(
      port,
      `GET /allowlist HTTP/1.1\nHost: 127.0.0.1:${port}\nOrigin: https://evil.example\nConnection: close\n\n`,
    );
    expect(read.status).toBe(200);
    expect(read.lines.filter(([n]) => n.startsWith('access-control-'))).toEqual([]);
  });
});

describe('admin writes: lint, versions, audit, in force', () => {
  it('adds an origin as one new version, normalised, in force for the next request, and audited', async () => {
    const before = await version();
    expect((await trafficPost(NEW)).status).toBe(403);
    const res = await add('https://New.Example.com/');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      version: before + 1,
      previousVersion: before,
      written: true,
      added: [NEW],
    });
    expect(res.headers.get('etag')).toBe(`"${before + 1}"`);
    expect(readFileSync(list, 'utf8')).toBe(`# the API's callers\n${APP}\n${NEW}\n`);
    expect(await trafficPost(NEW)).toEqual({ status: 200, acao: NEW });
    const [record] = await audit();
    expect(record).toMatchObject({
      token: 'ops',
      address: '127.0.0.1',
      action: 'add',
      fromVersion: before,
      toVersion: before + 1,
      diff: { added: [NEW], removed: [] },
    });
    expect(Date.now() - Date.parse(record.at)).toBeLessThan(60_000);
    expect(readFileSync(`${list}.audit.jsonl`, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('refuses an origin with a path with 422, its code, line and column, and writes nothing', async () => {
    const before = readFileSync(list, 'utf8');
    const auditBefore = (await audit()).length;
    const res = await add('https://bad.example.com/app');
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('CG_ORIGIN_HAS_PATH');
    expect(res.json.issues[0]).toMatchObject({ code: 'CG_ORIGIN_HAS_PATH', line: 4, column: 24 });
    expect(readFileSync(list, 'utf8')).toBe(before);
    expect((await audit()).length).toBe(auditBefore);
  });

  it('refuses an origin that smuggles a second line ("\\n*") with 422, never writing *', async () => {
    const before = readFileSync(list, 'utf8');
    const res = await add('https://ok.example.com\n*');
    expect(res.status).toBe(422);
    expect(res.json.issues).toHaveLength(1);
    expect(res.json.issues[0].line).toBe(4);
    expect(readFileSync(list, 'utf8')).toBe(before);
  });

  it('refuses a whole text with an error with 422 at the error line and column', async () => {
    const res = await call('/allowlist', {
      method: 'PUT',
      headers: AUTH,
      body: `${APP}\n  https://x.example.com/app\n`,
    });
    expect(res.status).toBe(422);
    // Column 24: the path, after two spaces and the 21 characters of the origin.
    expect(res.json.issues[0]).toMatchObject({ code: 'CG_ORIGIN_HAS_PATH', line: 2, column: 24 });
    expect(readFileSync(list, 'utf8')).toContain(NEW);
  });

  it('refuses a write naming a stale version with 409 and the version in force, and writes nothing', async () => {
    const current = await version();
    const res = await call('/allowlist', {
      method: 'PUT',
      headers: { ...AUTH, 'If-Match': `"${current - 1}"` },
      body: `${APP}\n`,
    });
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ code: 'CG_GATEWAY_ADMIN_CONFLICT', version: current });
    expect(readFileSync(list, 'utf8')).toContain(NEW);
  });

  it('replaces the whole text when If-Match names the version in force', async () => {
    const current = await version();
    const text = `# rewritten\n${APP}\n${NEW}\nhttps://third.example.com\n`;
    const res = await call('/allowlist', {
      method: 'PUT',
      headers: { ...AUTH, 'If-Match': `"${current}"` },
      body: text,
    });
    expect(res.status).toBe(200);
    expect(res.json.version).toBe(current + 1);
    expect(readFileSync(list, 'utf8')).toBe(text);
    expect((await audit())[0]).toMatchObject({
      action: 'replace',
      diff: { added: ['# rewritten', 'https://third.example.com'], removed: ["# the API's callers"] },
    });
  });

  it('removes an origin: refused on the next request, audited with the token name', async () => {
    const res = await call(`/allowlist/origins?origin=${encodeURIComponent(NEW)}`, {
      method: 'DELETE',
      headers: { Authorization: 'Bearer ci-secret-0123456789abcdef' },
    });
    expect(res.status).toBe(200);
    expect(res.json.removed).toEqual([NEW]);
    expect((await trafficPost(NEW)).status).toBe(403);
    expect((await audit())[0]).toMatchObject({ token: 'ci', action: 'remove', diff: { removed: [NEW] } });
    const again = await call(`/allowlist/origins?origin=${encodeURIComponent(NEW)}`, {
      method: 'DELETE',
      headers: AUTH,
    });
    expect(again.status).toBe(404);
    expect(again.json.code).toBe('CG_GATEWAY_ADMIN_NOT_LISTED');
  });

  it('loses no update when 10 adds arrive at once: each is its own version', async () => {
    const before = await version();
    const origins = Array.from({ length: 10 }, (_, i) => `https://c${i}.example.com`);
    const answers = await Promise.all(origins.map((o) => add(o)));
    expect(answers.map((a) => a.status)).toEqual(origins.map(() => 200));
    const text = readFileSync(list, 'utf8');
    for (const o of origins) expect(text).toContain(`${o}\n`);
    expect(new Set(answers.map((a) => a.json.version)).size).toBe(10);
    expect(await version()).toBe(before + 10);
  });
});

describe('admin tokens at start', () => {
  it('refuses to start with the admin listener off loopback and no token (exit 2, CG_GATEWAY_ADMIN_EXPOSED)', async () => {
    const r = await runCorsgate([
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      list,
      '--admin-host',
      '0.0.0.0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CG_GATEWAY_ADMIN_EXPOSED');
  });

  it('refuses a token file with a short token or a line without a name, never echoing the token', async () => {
    const bad = tmp.file('bad-tokens', 'ops:short\nno-colon-here-0123456789\n');
    const r = await runCorsgate([
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      list,
      '--admin-token-file',
      bad,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CG_GATEWAY_ADMIN_TOKENS');
    expect(r.stderr).toContain('entry 1 ("ops")');
    expect(r.stderr).toContain('entry 2: expected name:token');
    expect(r.stderr).not.toContain('short');
  });
});

describe('admin writes with a Redis source', () => {
  let redis: RedisServer;
  let node: Gateway;
  let source: string;

  beforeAll(async () => {
    redis = await startRedis();
    source = `${redis.url}?key=console-test`;
    const initial = tmp.file('redis-initial.list', `${APP}\n`);
    const pushed = await runCorsgate(['allowlist', 'push', initial, '--to', source]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const tokens = tmp.file('redis-tokens', `ops:${TOKEN}\n`);
    node = await startGateway(
      ['--upstream', upstream.url, '--allowlist', source, '--admin-token-file', tokens],
      { cwd: tmp.dir },
    );
  });
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  const nodeCall = async (path: string, init: RequestInit = {}): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${node.adminUrl}${path}`, init);
    return { status: res.status, json: await res.json() };
  };

  it('adds through the source’s compare-and-set: one version in Redis, in force on the node, audited', async () => {
    const res = await nodeCall('/allowlist/origins', {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ origin: NEW }),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 2, previousVersion: 1, added: [NEW] });
    const pulled = await runCorsgate(['allowlist', 'pull', '--from', source]);
    expect(pulled.stdout).toBe(`${APP}\n${NEW}\n`);
    const traffic = await fetch(`${node.url}/x`, { method: 'POST', headers: { Origin: NEW }, body: '{}' });
    await traffic.arrayBuffer();
    expect(traffic.status).toBe(200);
    expect((await nodeCall('/audit')).json.records[0]).toMatchObject({ token: 'ops', toVersion: 2 });
  });

  it('answers 409 when another writer pushed first and If-Match names the old version', async () => {
    const other = tmp.file('redis-other.list', `${APP}\n${NEW}\nhttps://third.example.com\n`);
    expect((await runCorsgate(['allowlist', 'push', other, '--to', source])).code).toBe(0);
    const res = await nodeCall('/allowlist', {
      method: 'PUT',
      headers: { ...AUTH, 'If-Match': '"2"' },
      body: `${APP}\n`,
    });
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('CG_GATEWAY_ADMIN_CONFLICT');
    const pulled = await runCorsgate(['allowlist', 'pull', '--from', source]);
    expect(pulled.stdout).toContain('third.example.com');
  });
});

describe('admin writes with --workers 2', () => {
  let cluster: Gateway;
  let clusterList: string;

  beforeAll(async () => {
    clusterList = tmp.file('cluster.list', `${APP}\n`);
    const tokens = tmp.file('cluster-tokens', `ops:${TOKEN}\n`);
    cluster = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      clusterList,
      '--admin-token-file',
      tokens,
      '--workers',
      '2',
    ]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('writes through the primary, and every worker has the new version in force when it answers', async () => {
    const res = await fetch(`${cluster.adminUrl}/allowlist/origins`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ origin: NEW }),
    });
    expect(res.status).toBe(200);
    expect(readFileSync(clusterList, 'utf8')).toBe(`${APP}\n${NEW}\n`);
    // Fresh connections spread over both workers; none may still refuse the origin.
    for (let i = 0; i < 12; i++) {
      const r = await raw(
        cluster.port,
        `POST /w${i} HTTP/1.1\nHost: 127.0.0.1\nOrigin: ${NEW}\nContent-Length: 2\nConnection: close\n\n{}`,
      );
      expect(r.status, `request ${i}`).toBe(200);
      expect(r.header('access-control-allow-origin')).toBe(NEW);
    }
    const audit = await (await fetch(`${cluster.adminUrl}/audit`)).json();
    expect(audit.records[0]).toMatchObject({ token: 'ops', action: 'add', diff: { added: [NEW] } });
  });
});
