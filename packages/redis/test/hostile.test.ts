/**
 * A hostile record in Redis (docs/errors.md CG_ALLOWLIST_RECORD_INVALID), against a real
 * `redis-server`: a foreign writer stores a version that is not a number (or a hash that is not
 * one, a version without a text) with a raw client and announces it. No node applies it, the
 * last good version stays in force with its own version number, and the writers refuse to build
 * on it with a stable code instead of failing with a conflict for ever.
 */
import { createClient } from '@redis/client';
import { AllowlistError, type AllowlistEvent, allowlistHash } from 'corsgate/allowlist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editRedisAllowlist,
  openRedisAllowlist,
  pullRedisAllowlist,
  pushRedisAllowlist,
  type RedisAllowlistSource,
} from '../src/index.js';
import { type RedisServer, startRedis } from './_redis-server.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const C = 'https://c.example.com';

let redis: RedisServer;
let raw: ReturnType<typeof createClient>;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
  raw = createClient({ url: redis.url });
  await raw.connect();
});
afterAll(async () => {
  raw?.destroy();
  await redis?.stop();
});

/** A node in force at version 2 (A and B) on a key of its own. */
async function nodeAtVersion2(): Promise<{ url: string; key: string; node: RedisAllowlistSource }> {
  const key = `hostile-${++n}`;
  const url = `${redis.url}?key=${key}`;
  await pushRedisAllowlist(url, `${A}\n`);
  await pushRedisAllowlist(url, `${A}\n${B}\n`);
  const node = await openRedisAllowlist(url, { pollIntervalMs: 60_000 });
  expect(node.current.version).toBe(2);
  return { url, key, node };
}

/** What a foreign writer does: store fields by hand, then announce a "version" on the channel. */
async function writeByHand(key: string, fields: Record<string, string>, notice: string): Promise<void> {
  await raw.sendCommand(['HSET', key, ...Object.entries(fields).flat()]);
  await raw.sendCommand(['PUBLISH', `${key}:changed`, notice]);
}

function nextEvent(node: RedisAllowlistSource, type: AllowlistEvent['type']): Promise<AllowlistEvent> {
  return new Promise((resolve) => {
    const off = node.on((event) => {
      if (event.type === type) {
        off();
        resolve(event);
      }
    });
  });
}

const allows = (node: RedisAllowlistSource, origin: string) =>
  node.current.policy.evaluate({ method: 'GET', origin }).allowed;

describe('a stored record that corsgate did not write', () => {
  const C_TEXT = `${A}\n${C}\n`;
  it.each([
    ['a version that is not a number', { version: 'NaN' }],
    ['a version in another notation', { version: '1e3' }],
    ['a negative version', { version: '-4' }],
    ['a version with leading zeros', { version: '003' }],
    ['a version beyond 15 digits', { version: '9'.repeat(40) }],
    ['a hash that is not sha256 hex', { version: '3', hash: 'not-a-hash' }],
  ])(
    '%s is applied nowhere: the last good version stays, numbered, and reports CG_ALLOWLIST_RECORD_INVALID',
    async (_, over) => {
      const { key, node } = await nodeAtVersion2();
      try {
        const rejected = nextEvent(node, 'rejected');
        await writeByHand(key, { text: C_TEXT, hash: allowlistHash(C_TEXT), ...over }, over.version);
        expect(await rejected).toMatchObject({ errors: [{ code: 'CG_ALLOWLIST_RECORD_INVALID', line: 0 }] });
        expect(node.current.version).toBe(2);
        expect(Number.isInteger(node.current.version)).toBe(true);
        expect(allows(node, B)).toBe(true);
        expect(allows(node, C)).toBe(false);
        const status = node.status();
        expect(status).toMatchObject({ lastReloadResult: 'rejected', reloadsRejected: 1 });
        // The stored value is echoed clipped, never whole.
        expect(status.lastErrors[0]!.message.length).toBeLessThan(300);
        // Read again (a poll, a resync): still rejected, not reported twice.
        await expect(node.reload()).resolves.toMatchObject({ type: 'rejected' });
        expect(node.status().reloadsRejected).toBe(1);
      } finally {
        await node.close();
      }
    },
  );

  it('a version without a text is rejected, not taken for "nothing pushed"', async () => {
    const { key, node } = await nodeAtVersion2();
    try {
      await raw.sendCommand(['HDEL', key, 'text']);
      await expect(node.reload()).resolves.toMatchObject({
        type: 'rejected',
        errors: [{ code: 'CG_ALLOWLIST_RECORD_INVALID' }],
      });
      expect(node.current.version).toBe(2);
      expect(allows(node, B)).toBe(true);
    } finally {
      await node.close();
    }
  });

  it('writers refuse to build on it with CG_ALLOWLIST_RECORD_INVALID, never a conflict; a push replaces it and every node recovers', async () => {
    const { url, key, node } = await nodeAtVersion2();
    try {
      const rejected = nextEvent(node, 'rejected');
      await writeByHand(key, { version: 'NaN' }, 'NaN');
      await rejected;
      // What the admin API does: an edit expecting the version in force (2), and one without.
      for (const expectVersion of [2, undefined]) {
        const error = await editRedisAllowlist(
          url,
          { add: C },
          expectVersion === undefined ? {} : { expectVersion },
        ).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AllowlistError);
        expect((error as AllowlistError).code).toBe('CG_ALLOWLIST_RECORD_INVALID');
      }
      await expect(pushRedisAllowlist(url, `${A}\n`, { expectVersion: 2 })).rejects.toMatchObject({
        code: 'CG_ALLOWLIST_RECORD_INVALID',
      });
      await expect(pullRedisAllowlist(url)).rejects.toMatchObject({ code: 'CG_ALLOWLIST_RECORD_INVALID' });
      // The way out: a whole push that expects nothing replaces the record.
      const recovered = nextEvent(node, 'recovered');
      const pushed = await pushRedisAllowlist(url, `${A}\n${C}\n`);
      expect(pushed).toMatchObject({ version: 1, written: true });
      await recovered;
      expect(allows(node, C)).toBe(true);
      expect(node.status()).toMatchObject({ lastReloadResult: 'applied', lastErrors: [] });
      const edited = await editRedisAllowlist(url, { add: B }, { expectVersion: 1 });
      expect(edited).toMatchObject({ version: 2, written: true, added: [B] });
    } finally {
      await node.close();
    }
  });
});
