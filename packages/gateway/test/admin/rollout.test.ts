/**
 * Rolling out a list (docs/console.md "Report-only", "Candidate lists", "suggest"), through the
 * spawned gateway in front of a real upstream.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const LISTED = 'https://app.example.com';
const OTHER = 'https://other.example.com';
const TOKEN = 'rollout-secret-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field in each test
type Json = any;

let upstream: Upstream;
let tmp: TempDir;

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
});

afterAll(async () => {
  await upstream?.close();
  tmp?.remove();
});

async function adminJson(
  gw: Gateway,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${gw.adminUrl}${path}`, init);
  return { status: res.status, json: await res.json() };
}

describe('--report-only in front of an upstream', () => {
  let gw: Gateway;
  beforeAll(async () => {
    const list = tmp.file('report.list', `${LISTED}\n`);
    gw = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      list,
      '--report-only',
      '--methods',
      'PUT',
    ]);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("forwards a refused origin's state-changing POST and PUT (nothing blocked), with no CORS header", async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const before = upstream.received.length;
      const res = await raw(
        gw.port,
        `${method} /report/${method} HTTP/1.1\nHost: 127.0.0.1\nOrigin: ${OTHER}\nContent-Length: 2\nConnection: close\n\n{}`,
      );
      expect(res.status, method).toBe(200);
      expect(upstream.received.length).toBe(before + 1);
      expect(upstream.received.at(-1)).toMatchObject({ method, url: `/report/${method}` });
      expect(
        res.lines.filter(([n]) => n.startsWith('access-control-')),
        method,
      ).toEqual([]);
    }
  });

  it("strips the upstream's own Access-Control-Allow-Origin: * for a refused origin, sets it for a listed one", async () => {
    const refused = await raw(
      gw.port,
      `GET /cors HTTP/1.1\nHost: 127.0.0.1\nOrigin: ${OTHER}\nConnection: close\n\n`,
    );
    expect(refused.status).toBe(200);
    expect(refused.header('access-control-allow-origin')).toBeUndefined();
    const listed = await raw(
      gw.port,
      `GET /cors HTTP/1.1\nHost: 127.0.0.1\nOrigin: ${LISTED}\nConnection: close\n\n`,
    );
    expect(listed.all('access-control-allow-origin')).toEqual([LISTED]);
  });

  it('records everything: the refused origin in /denied with its count, both origins in /origins', async () => {
    const denied = (await adminJson(gw, '/denied')).json.origins;
    const entry = denied.find((d: Json) => d.origin === OTHER);
    expect(entry).toMatchObject({ reason: 'origin-not-allowed' });
    expect(entry.count).toBeGreaterThanOrEqual(4);
    const seen = (await adminJson(gw, '/origins')).json.origins;
    expect(seen.find((s: Json) => s.origin === OTHER)).toMatchObject({ allowed: 0, refused: 4 });
    expect(seen.find((s: Json) => s.origin === LISTED)).toMatchObject({ allowed: 1, refused: 0 });
  });

  it('still answers preflights itself: a listed origin gets the CORS headers, a refused one none', async () => {
    const pre = (origin: string) =>
      raw(
        gw.port,
        `OPTIONS /x HTTP/1.1\nHost: 127.0.0.1\nOrigin: ${origin}\nAccess-Control-Request-Method: PUT\nConnection: close\n\n`,
      );
    expect((await pre(LISTED)).header('access-control-allow-origin')).toBe(LISTED);
    expect((await pre(OTHER)).header('access-control-allow-origin')).toBeUndefined();
  });
});

describe('candidate lists', () => {
  let gw: Gateway;
  let list: string;
  beforeAll(async () => {
    list = tmp.file('inforce.list', `${LISTED}\n`);
    const candidate = tmp.file('candidate.list', `# the proposal\n${OTHER}\n`);
    const tokens = tmp.file('rollout-tokens', `ops:${TOKEN}\n`);
    gw = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      list,
      '--candidate-allowlist',
      candidate,
      '--admin-token-file',
      tokens,
    ]);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const post = async (origin: string): Promise<number> => {
    const res = await fetch(`${gw.url}/cand/items`, {
      method: 'POST',
      headers: { Origin: origin },
      body: '{}',
    });
    await res.arrayBuffer();
    return res.status;
  };

  it('lists the origins whose decision the candidate would change, with counts, times and a sample, deciding nothing', async () => {
    expect(await post(LISTED)).toBe(200);
    expect(await post(LISTED)).toBe(200);
    expect(await post(OTHER)).toBe(403);
    const c = (await adminJson(gw, '/candidate')).json;
    expect(c.source).toContain('candidate.list');
    const byOrigin = Object.fromEntries(c.differences.map((d: Json) => [d.origin, d]));
    expect(byOrigin[LISTED]).toMatchObject({
      inForce: 'allowed',
      candidate: 'refused',
      count: 2,
      sampleMethod: 'POST',
      samplePath: '/cand/items',
    });
    expect(Date.parse(byOrigin[LISTED].lastSeen)).toBeGreaterThanOrEqual(
      Date.parse(byOrigin[LISTED].firstSeen),
    );
    expect(byOrigin[OTHER]).toMatchObject({ inForce: 'refused', candidate: 'allowed', count: 1 });
  });

  it('refuses to stage a candidate with an error (422), or without a token (401)', async () => {
    const bad = await adminJson(gw, '/candidate', {
      method: 'PUT',
      headers: AUTH,
      body: 'https://x.example.com/path\n',
    });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0]).toMatchObject({ code: 'CG_ORIGIN_HAS_PATH', line: 1 });
    expect((await adminJson(gw, '/candidate', { method: 'PUT', body: `${OTHER}\n` })).status).toBe(401);
  });

  it('stages a candidate through the API and promotes it: in force as one version, audited', async () => {
    const staged = await adminJson(gw, '/candidate', {
      method: 'PUT',
      headers: AUTH,
      body: `${LISTED}\n${OTHER}\n`,
    });
    expect(staged.status).toBe(200);
    expect(staged.json.source).toBe('staged');
    expect(await post(OTHER)).toBe(403);
    expect((await adminJson(gw, '/candidate')).json.differences).toMatchObject([
      { origin: OTHER, inForce: 'refused', candidate: 'allowed' },
    ]);
    const before = (await adminJson(gw, '/allowlist')).json.version;
    const promoted = await adminJson(gw, '/candidate/promote', { method: 'POST', headers: AUTH });
    expect(promoted.status).toBe(200);
    expect(promoted.json.version).toBe(before + 1);
    expect(readFileSync(list, 'utf8')).toBe(`${LISTED}\n${OTHER}\n`);
    expect(await post(OTHER)).toBe(200);
    expect((await adminJson(gw, '/candidate')).json.differences).toEqual([]);
    const audit = (await adminJson(gw, '/audit')).json.records;
    expect(audit[0]).toMatchObject({
      token: 'ops',
      action: 'promote',
      diff: { added: [OTHER], removed: [] },
    });
  });
});

describe('corsgate suggest', () => {
  it('prints a proposed list from the origins seen, a comment per entry, that lints clean', async () => {
    const list = tmp.file('suggest.list', '*\n');
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list]);
    try {
      for (const origin of [LISTED, LISTED, LISTED, OTHER, 'null', 'https://UPPER.example.com'])
        await (await fetch(`${gw.url}/s`, { headers: { Origin: origin } })).arrayBuffer();
      const r = await runCorsgate(['suggest', '--from', gw.adminUrl]);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(/^# proposed by corsgate suggest from http:\/\/127\.0\.0\.1:\d+ at /);
      const app = lines.indexOf(LISTED);
      expect(app).toBeGreaterThan(0);
      expect(lines[app - 1]).toMatch(
        /^# 3 requests \(3 allowed, 0 refused\), first seen \S+, last seen \S+$/,
      );
      expect(lines[1]).toBe('# 2 origins seen; review each before applying');
      expect(app).toBeLessThan(lines.indexOf(OTHER));
      expect(r.stdout).toMatch(/^# not listed: "null": CG_ORIGIN_NULL; 1 requests/m);
      expect(r.stdout).toMatch(/^# not listed: "https:\/\/UPPER\.example\.com"/m);
      const proposed = tmp.file('proposed.list', r.stdout);
      const lint = await runCorsgate(['lint', proposed]);
      expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    } finally {
      await gw.stop();
    }
  });

  it('exits 2 when the admin listener cannot be reached', async () => {
    const r = await runCorsgate(['suggest', '--from', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read http://127.0.0.1:1/origins');
  });
});
