/**
 * One state machine for every allowlist source (docs/sources.md "One state machine"): the same
 * scenario table (applied, rejected, rejected again, missing, unreadable, recovered, the version in
 * force again) runs against the file watcher (a real file: deleted, a directory in its place), the
 * programmatic store, and the Redis source (a real `redis-server`: the key deleted, the key
 * holding another type), and each gives the same outcomes, status and decisions.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import {
  type AllowlistEvent,
  type AllowlistWatcher,
  allowlistHash,
  createAllowlistStore,
  watchAllowlist,
} from 'corsgate/allowlist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRedisAllowlist } from '../src/index.js';
import { type RedisServer, startRedis } from './_redis-server.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const C = 'https://c.example.com';
const GOOD = `${A}\n${B}\n`;
const BAD = `${A}\nhttps://c.example.com/path\n`;
const FIXED = `${A}\n${C}\n`;

/** What a source is made to do; each driver makes its source do it and reads it now. */
type Step =
  | { readonly do: 'deliver'; readonly text: string }
  | { readonly do: 'missing' }
  | { readonly do: 'unreadable' };

interface Driver {
  readonly source: AllowlistWatcher;
  run(step: Step): Promise<void>;
  close(): Promise<void>;
}

/** The table: a step, and what every source must show after it. */
const SCENARIOS: readonly { name: string; step: Step; expected: Outcome }[] = [
  {
    name: 'applied',
    step: { do: 'deliver', text: GOOD },
    expected: { events: ['reloaded'], result: 'applied', errors: [], rejected: 0, allowed: [A, B] },
  },
  {
    name: 'rejected',
    step: { do: 'deliver', text: BAD },
    expected: {
      events: ['rejected'],
      result: 'rejected',
      errors: [[2, 'CG_ORIGIN_HAS_PATH']],
      rejected: 1,
      allowed: [A, B],
    },
  },
  {
    name: 'rejected again',
    step: { do: 'deliver', text: BAD },
    expected: {
      events: [],
      result: 'rejected',
      errors: [[2, 'CG_ORIGIN_HAS_PATH']],
      rejected: 1,
      allowed: [A, B],
    },
  },
  {
    name: 'missing',
    step: { do: 'missing' },
    expected: {
      events: ['missing'],
      result: 'missing',
      readError: 'CG_ALLOWLIST_MISSING',
      errors: [[2, 'CG_ORIGIN_HAS_PATH']],
      rejected: 1,
      allowed: [A, B],
    },
  },
  {
    name: 'unreadable',
    step: { do: 'unreadable' },
    expected: {
      events: ['unreadable'],
      result: 'unreadable',
      readError: 'CG_ALLOWLIST_UNREADABLE',
      errors: [[2, 'CG_ORIGIN_HAS_PATH']],
      rejected: 1,
      allowed: [A, B],
    },
  },
  {
    name: 'recovered',
    step: { do: 'deliver', text: FIXED },
    expected: {
      events: ['reloaded', 'recovered'],
      result: 'applied',
      errors: [],
      rejected: 1,
      allowed: [A, C],
    },
  },
  {
    name: 'the version in force again',
    step: { do: 'deliver', text: FIXED },
    expected: { events: [], result: 'applied', errors: [], rejected: 1, allowed: [A, C] },
  },
];

interface Outcome {
  readonly events: readonly AllowlistEvent['type'][];
  readonly result: string;
  readonly readError?: string;
  readonly errors: readonly (readonly [number, string])[];
  readonly rejected: number;
  readonly allowed: readonly string[];
}

/** Runs the whole table on one source and returns what it showed after each step. */
async function runTable(driver: Driver): Promise<Record<string, Outcome>> {
  const seen: AllowlistEvent[] = [];
  driver.source.on((event) => seen.push(event));
  const outcomes: Record<string, Outcome> = {};
  try {
    for (const { name, step } of SCENARIOS) {
      seen.length = 0;
      await driver.run(step);
      const s = driver.source.status();
      outcomes[name] = {
        events: seen.map((e) => e.type),
        result: s.lastReloadResult,
        ...(s.lastReadError === undefined ? {} : { readError: s.lastReadError.code }),
        errors: s.lastErrors.map((e) => [e.line, e.code] as const),
        rejected: s.reloadsRejected,
        allowed: [A, B, C].filter(
          (origin) => driver.source.current.policy.evaluate({ method: 'GET', origin }).allowed,
        ),
      };
    }
  } finally {
    await driver.close();
  }
  return outcomes;
}

const expected = Object.fromEntries(SCENARIOS.map((s) => [s.name, s.expected]));

let root: string;
let redis: RedisServer;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'corsgate-scenarios-'));
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The file: written in place, deleted, a directory put in its place (EISDIR, even as root). */
async function fileDriver(): Promise<Driver> {
  const file = join(root, 'origins.list');
  writeFileSync(file, `${A}\n`);
  // Explicit reloads only: each step reads exactly once, with no event racing it.
  const source = await watchAllowlist(file, { watch: false, pollIntervalMs: 60_000 });
  return {
    source,
    async run(step) {
      rmSync(file, { recursive: true, force: true });
      if (step.do === 'deliver') writeFileSync(file, step.text);
      else if (step.do === 'unreadable') mkdirSync(file);
      await source.reload();
    },
    close: () => source.close(),
  };
}

/** The programmatic store: the application sets each version and reports what it cannot read. */
async function storeDriver(): Promise<Driver> {
  const store = await createAllowlistStore({ initial: `${A}\n` });
  return {
    source: store,
    async run(step) {
      if (step.do === 'deliver') await store.set(step.text).catch(() => undefined);
      else if (step.do === 'missing') store.reportMissing('corsgate: the tenants table is empty');
      else store.reportUnreadable('corsgate: the database refused the read', 'EACCES');
    },
    close: () => store.close(),
  };
}

/** Redis: a record written with a raw client (no notice), the key deleted, the key of another type. */
async function redisDriver(): Promise<Driver> {
  const key = 'scenarios:allowlist';
  const client = createClient({ url: redis.url });
  await client.connect();
  let version = 0;
  let last: string | undefined;
  const store = async (text: string) => {
    // The same text delivered again is the same record, read again.
    if (text !== last) version++;
    last = text;
    // One transaction, as the real writer's script is: a source woken between a DEL and an HSET
    // would see the list missing, which no writer ever shows it.
    await client
      .multi()
      .del(key)
      .hSet(key, { text, version: String(version), hash: allowlistHash(text) })
      .exec();
  };
  await store(`${A}\n`);
  const source = await openRedisAllowlist(`${redis.url}?key=${key}`, { pollIntervalMs: 60_000 });
  return {
    source,
    async run(step) {
      if (step.do === 'deliver') await store(step.text);
      else await client.sendCommand(['DEL', key]);
      if (step.do === 'unreadable') await client.sendCommand(['SET', key, 'not a hash']);
      await source.reload();
    },
    async close() {
      await source.close();
      client.destroy();
    },
  };
}

describe('one scenario table, every source', () => {
  it('the file watcher: applied, rejected, rejected again, missing, unreadable, recovered', async () => {
    expect(await runTable(await fileDriver())).toEqual(expected);
  });

  it('the programmatic store gives the same outcomes', async () => {
    expect(await runTable(await storeDriver())).toEqual(expected);
  });

  it('the Redis source gives the same outcomes', async () => {
    expect(await runTable(await redisDriver())).toEqual(expected);
  });

  // The store keeps no rejected text to read again (its `set` throws instead): file and Redis.
  it('a forced reload of the rejected version reports it again, from the file and from Redis', async () => {
    for (const make of [fileDriver, redisDriver]) {
      const driver = await make();
      try {
        await driver.run({ do: 'deliver', text: BAD });
        const events: AllowlistEvent['type'][] = [];
        driver.source.on((e) => events.push(e.type));
        await driver.run({ do: 'deliver', text: BAD });
        expect(await driver.source.reload({ force: true })).toMatchObject({ type: 'rejected' });
        expect(events).toEqual(['rejected']);
        expect(driver.source.status().reloadsRejected).toBe(2);
      } finally {
        await driver.close();
      }
    }
  });
});
