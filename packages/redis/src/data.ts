/**
 * How the list is kept in Redis (docs/sources.md "In Redis"): one hash per key with `text` (the
 * list in the file format), `version` (1, 2, 3… one per applied write), `hash` (sha256 of the
 * text, hex) and `updatedAt` (epoch ms). Every write is one Lua script, so it is atomic: it checks
 * the expected version (compare-and-set), bumps the version, and publishes the new version on the
 * key's channel in the same step, so a notice never announces a version that is not stored.
 */
import { RESP_TYPES } from '@redis/client';
import { AllowlistError, allowlistHash } from 'corsgate/allowlist';
import { excerpt } from 'corsgate/internal';
import type { Connection } from './connection.js';

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

/**
 * The fleet's audit stream (docs/sources.md "One audit trail"): one entry per written version,
 * appended by the write script itself, bounded with `MAXLEN ~`. Derived from the list's key, so in
 * a Cluster it shares the key's hash tag and slot.
 */
export function auditStreamOf(key: string): string {
  return `${key}:audit`;
}

/** Entries the audit stream keeps, about (`MAXLEN ~` trims whole nodes of the stream). */
export const AUDIT_STREAM_LENGTH = 10_000;

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

/**
 * The record as corsgate writes it (docs/errors.md CG_ALLOWLIST_RECORD_INVALID): a version is a
 * whole number from 1 up in plain decimal, a hash is 64 lowercase hex digits, and a text and a
 * version come together. Anything else was written by hand or by another tool, and is checked as
 * strictly as the text: never `Number('abc')` (NaN) or `Number('1e3')` taken as a version.
 */
const VERSION = /^[1-9][0-9]{0,14}$/;
const HASH = /^[0-9a-f]{64}$/;

/** The stored version number, or undefined when it is not one corsgate writes. */
export function parseStoredVersion(raw: string): number | undefined {
  if (!VERSION.test(raw)) return undefined;
  const version = Number(raw);
  return Number.isSafeInteger(version) ? version : undefined;
}

/** Why a record is not one corsgate wrote (values clipped: the record is not trusted), or undefined. */
function recordProblem(
  hasText: boolean,
  version: string | undefined,
  hash: string | undefined,
): string | undefined {
  if (version === undefined) return 'it has a text but no version';
  if (!hasText) return 'it has a version but no text';
  if (parseStoredVersion(version) === undefined)
    return `its version ${JSON.stringify(excerpt(version))} is not a whole number from 1 up`;
  if (hash === undefined || !HASH.test(hash))
    return `its hash ${JSON.stringify(excerpt(hash ?? ''))} is not 64 lowercase hex digits`;
  return undefined;
}

/** A stored record that is not corsgate's: applied nowhere, the last good version stays. */
export interface InvalidRecord {
  /** Why, in words, with every stored value clipped. */
  readonly invalid: string;
  /** sha256 over the whole record: the same record read again is rejected again, silently. */
  readonly fingerprint: string;
}

function invalidRecord(
  problem: string,
  fields: readonly (Buffer | string | null | undefined)[],
): InvalidRecord {
  const parts = fields.map((f) => (f === null || f === undefined ? Buffer.alloc(0) : Buffer.from(f)));
  return {
    invalid: problem,
    fingerprint: allowlistHash(Buffer.concat(parts.flatMap((p) => [p, Buffer.from([0])]))),
  };
}

/** The error a writer or `pull` gets for a record that is not corsgate's. */
export function recordInvalidError(key: string, problem: string): AllowlistError {
  return new AllowlistError(
    'CG_ALLOWLIST_RECORD_INVALID',
    `corsgate: the version stored at key ${JSON.stringify(excerpt(key))} was not written by corsgate (${problem}); replace it with corsgate allowlist push FILE --to URL`,
  );
}

/**
 * The whole stored version in one read, or undefined when nothing was pushed yet.
 * @throws AllowlistError `CG_ALLOWLIST_RECORD_INVALID` for a record corsgate did not write.
 */
export async function readStored(
  client: Connection,
  key: string,
  timeoutMs?: number,
): Promise<StoredVersion | undefined> {
  const reply = (await within(
    client.command(key, ['HMGET', key, 'text', 'version', 'hash', 'updatedAt']),
    timeoutMs,
  )) as (string | null)[];
  const [text, version, hash, updatedAt] = reply;
  if ((text ?? null) === null && (version ?? null) === null) return undefined;
  const problem = recordProblem(typeof text === 'string', version ?? undefined, hash ?? undefined);
  if (problem !== undefined) throw recordInvalidError(key, problem);
  return { text: text!, version: Number(version), hash: hash!, updatedAt: Number(updatedAt ?? 0) };
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
 * list is not decoded to a string, encoded back for the hash, and decoded again). A record that is
 * not corsgate's comes back as an `InvalidRecord`, for the node to reject.
 */
export async function readStoredBytes(
  client: Connection,
  key: string,
  timeoutMs?: number,
): Promise<StoredBytes | InvalidRecord | undefined> {
  const reply = (await within(
    client.command(key, ['HMGET', key, 'text', 'version', 'hash'], AS_BUFFERS),
    timeoutMs,
  )) as (Buffer | null)[];
  const [bytes, version, hash] = reply;
  if ((bytes ?? null) === null && (version ?? null) === null) return undefined;
  const problem = recordProblem(Buffer.isBuffer(bytes), version?.toString(), hash?.toString());
  if (problem !== undefined) return invalidRecord(problem, reply);
  return { bytes: bytes!, version: Number(version!.toString()), hash: hash!.toString() };
}

/** Only the version field as stored (null when nothing was pushed): what the slow poll compares. */
export async function readVersion(
  client: Connection,
  key: string,
  timeoutMs: number,
): Promise<string | null> {
  return (await within(client.command(key, ['HGET', key, 'version']), timeoutMs)) as string | null;
}

/**
 * KEYS[1] the list's key, KEYS[2] its audit stream. ARGV: expected version ('' for "whatever is
 * there"), text, hash, now, channel, the audit record (JSON), the node's name, the stream's bound.
 * The audit entry is appended in the same script as the version, so the fleet's trail has exactly
 * one entry per written version (docs/sources.md "One audit trail"). Returns {status, version}: status 1 written (version = the new one), 0 conflict
 * (version = the one stored), 2 unchanged (same hash as the stored version), 3 the stored version
 * is not a number corsgate writes and a version was expected (CG_ALLOWLIST_RECORD_INVALID). A write
 * that expects nothing replaces such a record, from version 1: the way out of a hostile record.
 */
const CAS_WRITE = `
local raw = redis.call('HGET', KEYS[1], 'version')
local current = 0
if raw then
  if not string.match(raw, '^[1-9][0-9]*$') or string.len(raw) > 15 then
    if ARGV[1] ~= '' then return {3, 0} end
  else
    current = tonumber(raw)
  end
end
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return {0, current} end
if current > 0 and redis.call('HGET', KEYS[1], 'hash') == ARGV[3] then return {2, current} end
local next = current + 1
redis.call('HSET', KEYS[1], 'text', ARGV[2], 'version', next, 'hash', ARGV[3], 'updatedAt', ARGV[4])
redis.call('PUBLISH', ARGV[5], next)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'node', ARGV[7], 'from', current, 'to', next, 'hash', ARGV[3], 'record', ARGV[6])
return {1, next}
`;

/** Who wrote a version, as the audit stream records it: the versions are the script's own. */
export interface AuditNote {
  readonly node: string;
  /** The record's other fields (when, token, address, action, diff); JSON in the stream. */
  readonly record: Readonly<Record<string, unknown>>;
}

export type WriteOutcome =
  | { readonly status: 'written'; readonly version: number }
  | { readonly status: 'unchanged'; readonly version: number }
  | { readonly status: 'conflict'; readonly version: number };

/**
 * One atomic write: compare-and-set on `expectVersion` when given.
 * @throws AllowlistError `CG_ALLOWLIST_RECORD_INVALID` when a version is expected and the stored
 *   one is not a number corsgate writes.
 */
export async function casWrite(
  client: Connection,
  key: string,
  text: string,
  hash: string,
  expectVersion: number | undefined,
  audit: AuditNote,
): Promise<WriteOutcome> {
  const [status, version] = (await client.command(key, [
    'EVAL',
    CAS_WRITE,
    '2',
    key,
    auditStreamOf(key),
    expectVersion === undefined ? '' : String(expectVersion),
    text,
    hash,
    String(Date.now()),
    channelOf(key),
    JSON.stringify(audit.record),
    audit.node,
    String(AUDIT_STREAM_LENGTH),
  ])) as [number, number];
  if (status === 3) throw recordInvalidError(key, 'its version is not a whole number from 1 up');
  return {
    status: status === 1 ? 'written' : status === 2 ? 'unchanged' : 'conflict',
    version: Number(version),
  };
}
