/**
 * How the list is kept in Redis (docs/sources.md "In Redis"): one hash per key with `text` (the
 * list in the file format), `version` (1, 2, 3… one per applied write), `hash` (sha256 of the
 * text, hex) and `updatedAt` (epoch ms). Every write is one Lua script, so it is atomic: it checks
 * the expected version (compare-and-set), bumps the version, and publishes the new version on the
 * key's channel in the same step, so a notice never announces a version that is not stored.
 */
import { RESP_TYPES, type RedisClientType } from '@redis/client';

/** The channel a key's new versions are announced on: the version number as the message. */
export function channelOf(key: string): string {
  return `${key}:changed`;
}

export interface StoredVersion {
  readonly text: string;
  readonly version: number;
  readonly hash: string;
  readonly updatedAt: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the client's generic parameters do not matter here.
export type Client = RedisClientType<any, any, any, any, any>;

/**
 * Rejects when `work` has not settled after `ms`. The client's own command timeout stops at the
 * moment the command is written to the socket, so a Redis that accepted the bytes and then froze
 * (SIGSTOP, a stalled host) would never time out; a late reply is simply ignored.
 */
export function within<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The whole stored version in one read, or undefined when nothing was pushed yet. */
export async function readStored(
  client: Client,
  key: string,
  timeoutMs?: number,
): Promise<StoredVersion | undefined> {
  const reply = (await within(
    client.sendCommand(['HMGET', key, 'text', 'version', 'hash', 'updatedAt']),
    timeoutMs,
  )) as (string | null)[];
  const [text, version, hash, updatedAt] = reply;
  if (text === null || text === undefined || version === null || version === undefined) return undefined;
  return { text, version: Number(version), hash: hash ?? '', updatedAt: Number(updatedAt ?? 0) };
}

/** A stored version with its text as the bytes Redis holds. */
export interface StoredBytes {
  readonly bytes: Buffer;
  readonly version: number;
  readonly hash: string;
}

const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };

/**
 * `readStored` for a node applying the version: the text stays bytes, so the content hash is taken
 * over them directly and the parse decodes them once, strictly (docs/sources.md "Speed": a 4 MB
 * list is not decoded to a string, encoded back for the hash, and decoded again).
 */
export async function readStoredBytes(
  client: Client,
  key: string,
  timeoutMs?: number,
): Promise<StoredBytes | undefined> {
  const reply = (await within(
    client.sendCommand(['HMGET', key, 'text', 'version', 'hash'], AS_BUFFERS),
    timeoutMs,
  )) as (Buffer | null)[];
  const [bytes, version, hash] = reply;
  if (bytes === null || bytes === undefined || version === null || version === undefined) return undefined;
  return { bytes, version: Number(version.toString()), hash: hash?.toString() ?? '' };
}

/** Only the version number: what the slow poll reads. 0 when nothing was pushed yet. */
export async function readVersion(client: Client, key: string, timeoutMs: number): Promise<number> {
  const reply = (await within(client.sendCommand(['HGET', key, 'version']), timeoutMs)) as string | null;
  return reply === null ? 0 : Number(reply);
}

/**
 * KEYS[1] the list's key. ARGV: expected version ('' for "whatever is there"), text, hash, now,
 * channel. Returns {status, version}: status 1 written (version = the new one), 0 conflict
 * (version = the one stored), 2 unchanged (same hash as the stored version).
 */
const CAS_WRITE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return {0, current} end
if current > 0 and redis.call('HGET', KEYS[1], 'hash') == ARGV[3] then return {2, current} end
local next = current + 1
redis.call('HSET', KEYS[1], 'text', ARGV[2], 'version', next, 'hash', ARGV[3], 'updatedAt', ARGV[4])
redis.call('PUBLISH', ARGV[5], next)
return {1, next}
`;

export type WriteOutcome =
  | { readonly status: 'written'; readonly version: number }
  | { readonly status: 'unchanged'; readonly version: number }
  | { readonly status: 'conflict'; readonly version: number };

/** One atomic write: compare-and-set on `expectVersion` when given. */
export async function casWrite(
  client: Client,
  key: string,
  text: string,
  hash: string,
  expectVersion: number | undefined,
): Promise<WriteOutcome> {
  const [status, version] = (await client.sendCommand([
    'EVAL',
    CAS_WRITE,
    '1',
    key,
    expectVersion === undefined ? '' : String(expectVersion),
    text,
    hash,
    String(Date.now()),
    channelOf(key),
  ])) as [number, number];
  return {
    status: status === 1 ? 'written' : status === 2 ? 'unchanged' : 'conflict',
    version: Number(version),
  };
}
