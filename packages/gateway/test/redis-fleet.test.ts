/**
 * A fleet on one Redis (docs/sources.md), black-box: three real `corsgate serve` processes follow
 * a list kept in a real `redis-server` started here on a free port; the list is written with the
 * real `corsgate allowlist` command.
 */
import { createClient } from '@redis/client';
import { allowlistHash } from 'corsgate/allowlist';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../redis/test/_redis-server.js';
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
const C = 'https://c.example.com';

let upstream: Upstream;
let tmp: TempDir;
let redis: RedisServer;
const gateways: Gateway[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
});
afterAll(async () => {
  await upstream?.close();
  tmp?.remove();
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop('SIGKILL')));
  await redis?.stop();
});

/** A YAML config over the Redis source, with a fast poll so tests do not wait 5 s for it. */
function config(name: string, extra = ''): string {
  return tmp.file(
    name,
    `upstream: ${upstream.url}\nallowlist: ${redis.url}\nallowlistRedis:\n  pollIntervalMs: 200\n  commandTimeoutMs: 500\n  startTimeoutMs: 800\n${extra}`,
  );
}

/**
 * `n` nodes started at once. A node listens before its first version is read from Redis, so by
 * default this waits until every node's /ready says 200 (the event a load balancer waits for).
 */
async function startNodes(n: number, args: string[] = [], waitReady = true): Promise<Gateway[]> {
  const file = config('fleet.yaml');
  // All at once: the admin ports are picked together, so no two nodes get the same one.
  const adminPorts = await freePorts(n);
  const started = await Promise.allSettled(
    adminPorts.map((adminPort) => startGateway(['--config', file, ...args], { cwd: tmp.dir, adminPort })),
  );
  for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  const nodes = started.map((s) => (s as PromiseFulfilledResult<Gateway>).value);
  if (waitReady)
    await Promise.all(
      nodes.map((gw) => waitFor(async () => (await admin(gw, '/ready')).status === 200, 30_000, 'ready')),
    );
  return nodes;
}

async function allowOrigin(gw: Gateway, origin: string): Promise<string | null> {
  const res = await fetch(`${gw.url}/json`, { headers: { Origin: origin } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin');
}

async function admin(gw: Gateway, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gw.adminUrl}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function push(
  text: string,
  extra: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = tmp.file(`push-${Date.now()}-${Math.random()}.list`, text);
  return runCorsgate(['allowlist', 'push', file, '--to', redis.url, ...extra]);
}

describe('three gateway processes on one Redis', () => {
  it('enforces a push on all three, lets a stale compare-and-set lose, and applies an invalid version nowhere while reporting it everywhere', async () => {
    redis = await startRedis();
    expect((await push(`# partners\n${A}\n`)).stdout).toMatch(/version 1 written/);
    const nodes = await startNodes(3);
    for (const gw of nodes) expect(await allowOrigin(gw, A)).toBe(A);
    for (const gw of nodes) expect(await allowOrigin(gw, B)).toBe(null);

    const pushed = await push(`# partners\n${A}\n${B}\n`);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/version 2 written/);
    for (const gw of nodes)
      await waitFor(async () => (await allowOrigin(gw, B)) === B, 3000, 'B on every node');

    // A writer still holding version 1 loses: refused, nothing changes anywhere.
    const stale = await runCorsgate(['allowlist', 'add', C, '--to', redis.url, '--expect-version', '1']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain('CG_ALLOWLIST_CONFLICT');
    expect(stale.stderr).toContain('version 2, not 1');
    const fresh = await runCorsgate(['allowlist', 'add', C, '--to', redis.url, '--expect-version', '2']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/version 3 written .*added https:\/\/c\.example\.com/);
    for (const gw of nodes)
      await waitFor(async () => (await allowOrigin(gw, C)) === C, 3000, 'C on every node');

    // The command refuses a list with an error, with lint's lines, and writes nothing.
    const refused = await push(`${A}\nhttps://*\n`);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(
      /\.list:2:1: error CG_ORIGIN_UNSUPPORTED_PATTERN "https:\/\/\*" uses \* inside a host/,
    );
    expect(refused.stderr).toContain('nothing written');

    // A foreign writer stores a version with an error (by hand, with a correct hash): no node applies it, each reports it.
    const bad = `${A}\nnot an origin\n`;
    const client = createClient({ url: redis.url });
    await client.connect();
    await client.sendCommand([
      'HSET',
      'corsgate:allowlist',
      'text',
      bad,
      'version',
      '4',
      'hash',
      allowlistHash(bad),
    ]);
    await client.sendCommand(['PUBLISH', 'corsgate:allowlist:changed', '4']);
    for (const gw of nodes)
      await waitFor(
        async () => ((await admin(gw, '/allowlist')).body['lastError'] as object | null) !== null,
        3000,
        'the error on every node',
      );
    for (const gw of nodes) {
      const { body } = await admin(gw, '/allowlist');
      expect(body['version']).toBe(3);
      expect(body['source']).toBe('redis');
      const issues = (body['lastError'] as { issues: { line: number; column: number; code: string }[] })
        .issues;
      expect(issues[0]).toMatchObject({ line: 2, column: 1, code: 'CG_ORIGIN_UNSUPPORTED_PATTERN' });
      expect(await allowOrigin(gw, C)).toBe(C);
    }
    // And one whose hash does not match its text is refused too, with its own code.
    await client.sendCommand([
      'HSET',
      'corsgate:allowlist',
      'text',
      `${A}\n`,
      'version',
      '5',
      'hash',
      'f'.repeat(64),
    ]);
    await client.sendCommand(['PUBLISH', 'corsgate:allowlist:changed', '5']);
    for (const gw of nodes)
      await waitFor(
        async () =>
          JSON.stringify((await admin(gw, '/allowlist')).body['lastError']).includes(
            'CG_ALLOWLIST_HASH_MISMATCH',
          ),
        3000,
        'the hash mismatch on every node',
      );
    for (const gw of nodes) expect(await allowOrigin(gw, B)).toBe(B);
    client.destroy();

    // `pull` prints exactly what is stored.
    const pulled = await runCorsgate(['allowlist', 'pull', '--from', redis.url]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toBe(`${A}\n`);
  }, 60_000);
});

/**
 * A bounded load loop against every node: each response must be 200 with exactly the header the
 * last good version gives (A and B allowed, C refused).
 */
interface Load {
  /** Requests completed so far, read while the load runs. */
  completed: () => number;
  /** Stops the loop and resolves once every worker is done. */
  stop: () => Promise<{ requests: number; wrong: string[] }>;
}

function startLoad(nodes: Gateway[]): Load {
  let stopped = false;
  let completedCount = 0;
  const done = loadUntil(
    nodes,
    () => stopped,
    (n) => {
      completedCount = n;
    },
  );
  return {
    completed: () => completedCount,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/** Waits until `count` more requests of the load have completed (the load is bounded in time). */
async function moreRequests(load: Load, count: number, what: string): Promise<void> {
  const target = load.completed() + count;
  await waitFor(() => load.completed() >= target, 20_000, `${count} more requests ${what}`);
}

async function loadUntil(
  nodes: Gateway[],
  stop: () => boolean,
  onCompleted: (requests: number) => void = () => {},
): Promise<{ requests: number; wrong: string[] }> {
  const wrong: string[] = [];
  let requests = 0;
  let completed = 0;
  const deadline = Date.now() + 20_000;
  const worker = async (gw: Gateway): Promise<void> => {
    while (!stop() && Date.now() < deadline && requests < 20_000) {
      for (const [origin, expected] of [
        [A, A],
        [B, B],
        [C, null],
      ] as const) {
        requests++;
        try {
          const res = await fetch(`${gw.url}/json`, { headers: { Origin: origin } });
          await res.arrayBuffer();
          const got = res.headers.get('access-control-allow-origin');
          if (res.status !== 200 || got !== expected) wrong.push(`${origin}: ${res.status} ${got}`);
        } catch (error) {
          wrong.push(`${origin}: ${(error as Error).message}`);
        }
        onCompleted(++completed);
      }
    }
  };
  await Promise.all(nodes.flatMap((gw) => [worker(gw), worker(gw)]));
  return { requests, wrong };
}

describe('Redis going away under load', () => {
  it('keeps every decision of the last good version while Redis is killed, and resyncs to what was pushed once it is back', async () => {
    redis = await startRedis();
    await push(`${A}\n${B}\n`);
    const nodes = await startNodes(3);
    const load = startLoad(nodes);
    await moreRequests(load, 60, 'before Redis is killed');
    await redis.kill();
    for (const gw of nodes)
      await waitFor(async () => (await admin(gw, '/allowlist')).body['staleSince'] !== null, 5000, 'stale');
    for (const gw of nodes) {
      expect((await admin(gw, '/ready')).status).toBe(200);
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      expect(metrics).toMatch(/^corsgate_allowlist_stale_since_seconds [1-9]\d*(\.\d+)?$/m);
    }
    await moreRequests(load, 150, 'while every node knows Redis is gone');
    const { requests, wrong } = await load.stop();
    expect(wrong).toEqual([]);
    expect(requests).toBeGreaterThan(100);

    await redis.restart();
    const pushed = await push(`${A}\n${B}\n${C}\n`);
    expect(pushed.stdout).toMatch(/version 2 written/);
    for (const gw of nodes) {
      await waitFor(
        async () => (await allowOrigin(gw, C)) === C,
        8000,
        'the version pushed while reconnecting',
      );
      await waitFor(async () => (await admin(gw, '/allowlist')).body['staleSince'] === null, 3000, 'fresh');
    }
  }, 60_000);

  it('keeps every decision while Redis is paused (SIGSTOP) until every node reports it stale and 150 more requests are answered, and applies the push made during the pause once it resumes', async () => {
    redis = await startRedis();
    await push(`${A}\n${B}\n`);
    const nodes = await startNodes(3);
    const load = startLoad(nodes);
    await moreRequests(load, 60, 'before Redis is paused');
    redis.pause();
    const during = push(`${A}\n${B}\n${C}\n`);
    for (const gw of nodes)
      await waitFor(async () => (await admin(gw, '/allowlist')).body['staleSince'] !== null, 4000, 'stale');
    await moreRequests(load, 150, 'while every node knows Redis is paused');
    const { wrong } = await load.stop();
    expect(wrong).toEqual([]);
    for (const gw of nodes) expect((await admin(gw, '/ready')).status).toBe(200);
    redis.resume();
    const pushed = await during;
    expect(pushed.code, pushed.stderr).toBe(0);
    for (const gw of nodes) {
      await waitFor(async () => (await allowOrigin(gw, C)) === C, 5000, 'the push made during the pause');
      await waitFor(async () => (await admin(gw, '/allowlist')).body['staleSince'] === null, 3000, 'fresh');
    }
  }, 60_000);
});

describe('starting while Redis is down', () => {
  it('serves the cached version with a cache file, and is not ready without one until Redis is back', async () => {
    redis = await startRedis();
    await push(`${A}\n`);
    const cache = `${tmp.dir}/allowlist.cache.json`;
    const [withCache] = await startNodes(1, ['--allowlist-cache', cache]);
    await waitFor(async () => (await allowOrigin(withCache!, A)) === A, 3000, 'first version');
    await waitFor(
      async () => {
        try {
          return JSON.parse(await (await import('node:fs/promises')).readFile(cache, 'utf8')).version === 1;
        } catch {
          return false;
        }
      },
      3000,
      'the cache file',
    );
    await withCache!.stop();
    gateways.length = 0;
    await redis.kill();

    const [cached, bare] = [
      ...(await startNodes(1, ['--allowlist-cache', cache])),
      ...(await startNodes(1, [], false)),
    ];
    expect(await allowOrigin(cached!, A)).toBe(A);
    const cachedReady = await admin(cached!, '/ready');
    expect(cachedReady.status).toBe(200);
    expect((await admin(cached!, '/allowlist')).body).toMatchObject({ version: 1, ready: true });
    expect((await admin(cached!, '/allowlist')).body['staleSince']).not.toBe(null);

    const bareReady = await admin(bare!, '/ready');
    expect(bareReady.status).toBe(503);
    expect(bareReady.body['ready']).toBe(false);
    expect(await allowOrigin(bare!, A)).toBe(null);

    await redis.restart();
    await waitFor(
      async () => (await admin(bare!, '/ready')).status === 200,
      8000,
      'ready once Redis is back',
    );
    expect(await allowOrigin(bare!, A)).toBe(A);
  }, 60_000);
});

describe('the fleet view and admin writes with a Redis source', () => {
  it("shows on one node's /denied?scope=fleet what browsers sent to all three, while /denied stays local", async () => {
    redis = await startRedis();
    await push(`${A}\n`);
    const nodes = await startNodes(3);
    const X = 'https://x.example.net';
    const Y = 'https://y.example.net';
    const Z = 'https://z.example.net';
    for (const [i, origin] of [
      [0, X],
      [0, X],
      [1, X],
      [1, Y],
      [2, Z],
    ] as const)
      expect(await allowOrigin(nodes[i]!, origin)).toBe(null);
    const counts = async (): Promise<Record<string, number>> => {
      const { body } = await admin(nodes[0]!, '/denied?scope=fleet');
      const origins = body['origins'] as { origin: string; count: number }[];
      return Object.fromEntries(origins.map((o) => [o.origin, o.count]));
    };
    await waitFor(
      async () => JSON.stringify(await counts()) === JSON.stringify({ [X]: 3, [Y]: 1, [Z]: 1 }),
      6000,
      'the fleet counts',
    );
    const local = (await admin(nodes[0]!, '/denied')).body['origins'] as { origin: string; count: number }[];
    expect(local.map((o) => [o.origin, o.count])).toEqual([[X, 2]]);
    expect((await admin(nodes[0]!, '/denied?scope=galaxy')).status).toBe(400);
  }, 60_000);

  it('writes an origin added through one node’s admin API to Redis, in force on every node, and loses a stale If-Match', async () => {
    redis = await startRedis();
    await push(`${A}\n`);
    const token = 'ops-secret-0123456789abcdef';
    const tokens = tmp.file('tokens', `ops:${token}\n`);
    const nodes = await startNodes(3, ['--admin-token-file', tokens]);
    const res = await fetch(`${nodes[1]!.adminUrl}/allowlist/origins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': '"1"' },
      body: JSON.stringify({ origin: B }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    for (const gw of nodes)
      await waitFor(async () => (await allowOrigin(gw, B)) === B, 3000, 'B on every node');
    const pulled = await runCorsgate(['allowlist', 'pull', '--from', redis.url, '--json']);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ version: 2, text: `${A}\n${B}\n` });
    const stale = await fetch(`${nodes[2]!.adminUrl}/allowlist/origins`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': '"1"' },
      body: JSON.stringify({ origin: C }),
    });
    expect(stale.status).toBe(409);
    expect(await allowOrigin(nodes[0]!, C)).toBe(null);
    // One trail for the fleet (docs/sources.md "One audit trail"): node 0 shows the change node 1
    // made through its admin API, naming node 1, and the CLI's push before it.
    const audit = await fetch(`${nodes[0]!.adminUrl}/audit`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const { records } = (await audit.json()) as { records: Record<string, unknown>[] };
    expect(records[0]).toMatchObject({
      token: 'ops',
      action: 'add',
      fromVersion: 1,
      toVersion: 2,
      diff: { added: [B], removed: [] },
    });
    expect(String(records[0]!['node'])).toMatch(/:\d+$/);
    expect(records[1]).toMatchObject({ token: 'cli', action: 'replace', fromVersion: 0, toVersion: 1 });
    const page = await (
      await fetch(`${nodes[2]!.adminUrl}/`, { headers: { Authorization: `Bearer ${token}` } })
    ).text();
    expect(page).toContain('<th scope="col">Node</th>');
    expect(page).toContain(String(records[0]!['node']));
    // Three gateway processes and a Redis server: room for a loaded machine.
  }, 60_000);
});
