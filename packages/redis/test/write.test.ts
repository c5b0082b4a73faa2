/**
 * Writing the list in Redis (docs/sources.md "Writing"), against a real `redis-server`: linted
 * first, one atomic version per write, compare-and-set on the version, concurrent edits never
 * lost; and the source URL rules.
 */
import { createClient } from '@redis/client';
import { AllowlistError } from 'corsgate/allowlist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editRedisAllowlist,
  FleetDenied,
  openRedisAllowlist,
  parseRedisSource,
  pullRedisAllowlist,
  pushRedisAllowlist,
} from '../src/index.js';
import { freePort, type RedisServer, startRedis } from './_redis-server.js';

let redis: RedisServer;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const source = (): string => `${redis.url}?key=write-${++n}`;

describe('a Redis source URL', () => {
  it('defaults the key to corsgate:allowlist and never shows the password', () => {
    const t = parseRedisSource('redis://ops:s3cret@10.0.0.5:6379/2');
    expect(t.key).toBe('corsgate:allowlist');
    expect(t.clientUrl).toBe('redis://ops:s3cret@10.0.0.5:6379/2');
    expect(t.display).toBe('redis://ops:***@10.0.0.5:6379/2');
    expect(parseRedisSource('rediss://h:6380?key=team%3Alist').key).toBe('team:list');
  });

  it.each([
    ['http://h:6379', 'the scheme must be redis://, rediss://'],
    ['redis://h:6379/zero', 'is not a number'],
    ['redis://h:6379?db=1', 'unknown parameter "db"'],
    ['redis://h:6379?key=', 'the key is empty'],
    ['redis://user:pw@h:99999', 'not a valid URL'],
    ['redis://user:%zzpw@h:6379', 'the password is not valid percent-encoding'],
    ['redis://user:12/pw@h:6379', 'not a valid URL'],
    ['redis://user:p/w@h:6379', 'not a valid URL'],
  ])('refuses %s with CG_ALLOWLIST_SOURCE_INVALID', (url, why) => {
    let error: unknown;
    try {
      parseRedisSource(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).code).toBe('CG_ALLOWLIST_SOURCE_INVALID');
    expect((error as AllowlistError).message).toContain(why);
    expect((error as AllowlistError).message).not.toContain('pw');
  });
});

describe('writing the list in Redis', () => {
  it('stores text, version and sha256 together and counts versions from 1', async () => {
    const url = source();
    expect(await pullRedisAllowlist(url)).toBe(undefined);
    const first = await pushRedisAllowlist(url, '# partners\nhttps://a.example.com\n');
    expect(first).toMatchObject({ version: 1, written: true });
    const again = await pushRedisAllowlist(url, '# partners\nhttps://a.example.com\n');
    expect(again).toMatchObject({ version: 1, written: false });
    const stored = await pullRedisAllowlist(url);
    expect(stored).toMatchObject({
      text: '# partners\nhttps://a.example.com\n',
      version: 1,
      hash: first.hash,
    });
  });

  it('refuses a list with an error, with every issue and its line, and stores nothing', async () => {
    const url = source();
    const error = await pushRedisAllowlist(url, 'https://a.example.com\n*\n', {
      config: { credentials: true },
    }).catch((e: unknown) => e);
    expect((error as AllowlistError).code).toBe('CG_ORIGIN_ANY_WITH_CREDENTIALS');
    expect((error as AllowlistError).issues.map((i) => i.line)).toEqual([2]);
    expect(await pullRedisAllowlist(url)).toBe(undefined);
  });

  it('never reports written a version no replica confirmed: CG_ALLOWLIST_WRITE_UNCONFIRMED, naming the version on the master', async () => {
    // A lone server asked for one replica's confirmation (?replicas=1), as Sentinel and Cluster are
    // by default: WAIT answers 0 after its 2 s, and the write is refused with the code, not lost.
    const url = `${source()}&replicas=1`;
    const error = await pushRedisAllowlist(url, 'https://a.example\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).code).toBe('CG_ALLOWLIST_WRITE_UNCONFIRMED');
    expect((error as AllowlistError).message).toContain('version 1 is on the master, but 0 of 1 replica(s)');
    // What is stored is the version the message names: a read shows it, nothing else changed.
    expect(await pullRedisAllowlist(url)).toMatchObject({ version: 1, text: 'https://a.example\n' });
  });

  it('lets a writer holding a stale version lose with CG_ALLOWLIST_CONFLICT, never overwrite', async () => {
    const url = source();
    await pushRedisAllowlist(url, 'https://a.example.com\n');
    await pushRedisAllowlist(url, 'https://b.example.com\n', { expectVersion: 1 });
    const lost = await pushRedisAllowlist(url, 'https://c.example.com\n', { expectVersion: 1 }).catch(
      (e: unknown) => e,
    );
    expect((lost as AllowlistError).code).toBe('CG_ALLOWLIST_CONFLICT');
    expect((await pullRedisAllowlist(url))?.text).toBe('https://b.example.com\n');
    const none = await pushRedisAllowlist(url, 'https://d.example.com\n', { expectVersion: 0 }).catch(
      (e: unknown) => e,
    );
    expect((none as AllowlistError).code).toBe('CG_ALLOWLIST_CONFLICT');
  });

  it('keeps every one of 20 concurrent adds (read, edit, compare-and-set, retry)', async () => {
    const url = source();
    await pushRedisAllowlist(url, '# tenants\n');
    const origins = Array.from({ length: 20 }, (_, i) => `https://t${i}.example.com`);
    await Promise.all(origins.map((o) => editRedisAllowlist(url, { add: o })));
    const stored = await pullRedisAllowlist(url);
    expect(stored?.version).toBe(21);
    expect(stored?.text.startsWith('# tenants\n')).toBe(true);
    expect(stored?.text.trim().split('\n').slice(1).sort()).toEqual([...origins].sort());
    const removed = await editRedisAllowlist(url, { remove: 'HTTPS://T3.EXAMPLE.COM:443' });
    expect(removed).toMatchObject({ version: 22, removed: ['https://t3.example.com'], written: true });
  });

  it('says CG_ALLOWLIST_UNREACHABLE when nothing listens, within the timeout', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const t0 = Date.now();
    const error = await pushRedisAllowlist(url, 'https://a.example.com\n', { timeoutMs: 1000 }).catch(
      (e: unknown) => e,
    );
    expect((error as AllowlistError).code).toBe('CG_ALLOWLIST_UNREACHABLE');
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});

describe('the Redis source', () => {
  it('applies a push through the notice, and versions equal Redis versions on every node', async () => {
    const url = source();
    await pushRedisAllowlist(url, 'https://a.example.com\n');
    const [one, two] = await Promise.all([openRedisAllowlist(url), openRedisAllowlist(url)]);
    expect([one!.current.version, two!.current.version]).toEqual([1, 1]);
    await pushRedisAllowlist(url, 'https://a.example.com\nhttps://b.example.com\n');
    const deadline = Date.now() + 2000;
    while ((one!.current.version !== 2 || two!.current.version !== 2) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(one!.current.policy.config().origins).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(two!.current.hash).toBe(one!.current.hash);
    await Promise.all([one!.close(), two!.close()]);
  });

  it('picks up a version whose notice was lost, through the slow poll', async () => {
    const url = source();
    const key = parseRedisSource(url).key;
    await pushRedisAllowlist(url, 'https://a.example.com\n');
    const node = await openRedisAllowlist(url, { pollIntervalMs: 150 });
    // Written without the notice, as if the PUBLISH never reached this node.
    const text = 'https://z.example.com\n';
    const client = createClient({ url: redis.url });
    await client.connect();
    const { allowlistHash } = await import('corsgate/allowlist');
    await client.sendCommand(['HSET', key, 'text', text, 'version', '2', 'hash', allowlistHash(text)]);
    client.destroy();
    const deadline = Date.now() + 2000;
    while (node.current.version !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(node.current.policy.config().origins).toEqual(['https://z.example.com']);
    await node.close();
  });
});

describe('the Redis source reading bytes', () => {
  it('rejects a stored text that is not UTF-8 (with its own sha256) naming line and column, and keeps the last good version', async () => {
    const url = source();
    const key = parseRedisSource(url).key;
    await pushRedisAllowlist(url, 'https://a.example.com\n');
    const node = await openRedisAllowlist(url, { pollIntervalMs: 150 });
    // Written by another tool, hash and all: the bytes hash right, but 0xff is not UTF-8. Decoded
    // loosely it would be U+FFFD; decoded strictly it is refused, as in a file.
    const bytes = Buffer.concat([
      Buffer.from('https://a.example.com\nhttps://b'),
      Buffer.from([0xff]),
      Buffer.from('.com\n'),
    ]);
    const client = createClient({ url: redis.url });
    await client.connect();
    const { allowlistHash } = await import('corsgate/allowlist');
    await client.sendCommand(['HSET', key, 'text', bytes, 'version', '2', 'hash', allowlistHash(bytes)]);
    client.destroy();
    const deadline = Date.now() + 2000;
    while (node.status().lastReloadResult !== 'rejected' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(node.status().lastErrors).toEqual([
      expect.objectContaining({ code: 'CG_ALLOWLIST_INVALID_UTF8', line: 2, column: 10 }),
    ]);
    expect(node.current.version).toBe(1);
    expect(node.current.policy.config().origins).toEqual(['https://a.example.com']);
    await node.close();
  });
});

describe('the fleet view of refused origins', () => {
  it('is bounded (pending and per bucket) and expiring, and adds up every node', async () => {
    const url = source();
    const one = new FleetDenied(url, { capacity: 3, flushMs: 60_000 }).start();
    const two = new FleetDenied(url, { capacity: 3, flushMs: 60_000 }).start();
    await new Promise((r) => setTimeout(r, 200));
    for (const o of ['a', 'b', 'c', 'd', 'e']) one.count(`https://${o}.example.net`, 'origin-not-allowed');
    expect(one.dropped).toBe(2);
    two.count('https://a.example.net', 'origin-not-allowed');
    two.count('https://a.example.net', 'origin-not-allowed');
    await Promise.all([one.flush(), two.flush()]);
    expect(await two.read(10)).toEqual([
      { origin: 'https://a.example.net', reason: 'origin-not-allowed', count: 3 },
      { origin: 'https://b.example.net', reason: 'origin-not-allowed', count: 1 },
      { origin: 'https://c.example.net', reason: 'origin-not-allowed', count: 1 },
    ]);
    const client = createClient({ url: redis.url });
    await client.connect();
    const keys = (await client.sendCommand(['KEYS', `${parseRedisSource(url).key}:denied:*`])) as string[];
    expect(keys).toHaveLength(1);
    const ttl = Number(await client.sendCommand(['TTL', keys[0]!]));
    expect(ttl).toBeGreaterThan(24 * 3600);
    expect(ttl).toBeLessThanOrEqual(25 * 3600);
    // A fourth origin in the same bucket pushes out the least counted: never more than capacity.
    for (const o of ['x', 'y']) one.count(`https://${o}.example.net`, 'origin-not-allowed');
    await one.flush();
    expect(Number(await client.sendCommand(['ZCARD', keys[0]!]))).toBe(3);
    client.destroy();
    await Promise.all([one.close(), two.close()]);
  });
});
