/**
 * Writing the list in Redis (docs/sources.md "Writing"): `push` (the whole text), `add`/`remove`
 * (one edit), `pull` (read). Every write is linted first and refused with every issue when it has
 * an error, so an invalid list is never stored by corsgate; then written as one atomic version
 * with compare-and-set on the version (data.ts). `add` and `remove` read the version, edit its
 * text and write it back expecting that version: a concurrent writer makes the write retry on the
 * new text, never lose either change.
 */
import { createClient } from '@redis/client';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import {
  type AllowlistEdit,
  AllowlistError,
  allowlistHash,
  editAllowlistText,
  parseAllowlist,
} from 'corsgate/allowlist';
import { invalidAllowlistError } from 'corsgate/internal';
import { type Client, casWrite, readStored, type StoredVersion, within } from './data.js';
import { parseRedisSource, type RedisTarget } from './url.js';

export interface RedisWriteOptions {
  /** The rest of the policy the list is linted with (`credentials` refuses `*`, `http://`…). */
  readonly config?: CorsConfigWithoutOrigins;
  /** Compare-and-set: write only if this is still the version stored (0: only if none is). */
  readonly expectVersion?: number;
  /** Give up when Redis has not answered after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
}

export interface RedisWriteResult {
  /** The version stored after the write. */
  readonly version: number;
  readonly hash: string;
  /** False when the list was already exactly this text (no new version). */
  readonly written: boolean;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** Runs `task` with a connected client, and always releases it. */
async function withClient<T>(
  target: RedisTarget,
  timeoutMs: number,
  task: (c: Client) => Promise<T>,
): Promise<T> {
  const client = createClient({
    url: target.clientUrl,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: false },
    disableOfflineQueue: true,
  }) as Client;
  client.on('error', () => undefined);
  try {
    await withTimeout(client.connect(), timeoutMs, target);
  } catch (error) {
    client.destroy();
    throw unreachable(target, error as Error);
  }
  try {
    // Each command inside the task has its own timeout (a read-modify-write may take rounds).
    return await task(client);
  } catch (error) {
    if (error instanceof AllowlistError) throw error;
    throw unreachable(target, error as Error);
  } finally {
    client.destroy();
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, target: RedisTarget): Promise<T> {
  try {
    return await within(work, ms);
  } catch (error) {
    throw unreachable(target, error as Error);
  }
}

function unreachable(target: RedisTarget, error: Error): AllowlistError {
  if (error instanceof AllowlistError) return error;
  return new AllowlistError(
    'CG_ALLOWLIST_UNREACHABLE',
    `corsgate: Redis at ${target.display} cannot be reached (${error.message})`,
  );
}

function lint(text: string, target: RedisTarget, config: CorsConfigWithoutOrigins | undefined): void {
  const parsed = parseAllowlist(text, config);
  if (parsed.errors.length === 0) return;
  throw invalidAllowlistError(`refusing to write ${target.display}`, target.display, parsed.errors);
}

function conflict(target: RedisTarget, expected: number, stored: number): AllowlistError {
  return new AllowlistError(
    'CG_ALLOWLIST_CONFLICT',
    `corsgate: ${target.display} is at version ${stored}, not ${expected}: another writer changed it first; read it again and retry`,
  );
}

/**
 * Replaces the whole list with `text` as one new version.
 * @throws AllowlistError with every issue when the text has an error (nothing written),
 *   `CG_ALLOWLIST_CONFLICT` when `expectVersion` is not the stored version,
 *   `CG_ALLOWLIST_UNREACHABLE` when Redis does not answer.
 */
export async function pushRedisAllowlist(
  source: string,
  text: string,
  options: RedisWriteOptions = {},
): Promise<RedisWriteResult> {
  const target = parseRedisSource(source);
  lint(text, target, options.config);
  const hash = allowlistHash(text);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return withClient(target, timeoutMs, async (client) => {
    const outcome = await within(casWrite(client, target.key, text, hash, options.expectVersion), timeoutMs);
    if (outcome.status === 'conflict') throw conflict(target, options.expectVersion!, outcome.version);
    return { version: outcome.version, hash, written: outcome.status === 'written', added: [], removed: [] };
  });
}

/** The stored version, or undefined when nothing was pushed yet. */
export async function pullRedisAllowlist(
  source: string,
  options: { readonly timeoutMs?: number } = {},
): Promise<StoredVersion | undefined> {
  const target = parseRedisSource(source);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return withClient(target, timeoutMs, (client) => readStored(client, target.key, timeoutMs));
}

/**
 * Attempts of a read-modify-write before giving up under constant concurrent writes: each round
 * one writer wins, so N writers at once need up to N rounds; the jittered pause spreads them.
 */
const EDIT_ATTEMPTS = 100;
const pause = (attempt: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 50)));

/**
 * Adds and/or removes entries as one new version, keeping every other line (comments, order).
 * With `expectVersion`, a stored version other than that one is a conflict; without it, a
 * concurrent write makes the edit retry on the new text.
 * @throws AllowlistError as `pushRedisAllowlist`, and for an entry that is not a valid origin.
 */
export async function editRedisAllowlist(
  source: string,
  edit: AllowlistEdit,
  options: RedisWriteOptions = {},
): Promise<RedisWriteResult> {
  const target = parseRedisSource(source);
  const timeoutMs = options.timeoutMs ?? 5_000;
  return withClient(target, timeoutMs, async (client) => {
    for (let attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
      const stored = await readStored(client, target.key, timeoutMs);
      const version = stored?.version ?? 0;
      if (options.expectVersion !== undefined && options.expectVersion !== version)
        throw conflict(target, options.expectVersion, version);
      const before = stored?.text ?? '';
      const { text, added, removed } = editAllowlistText(before, edit);
      if (text === before && stored !== undefined)
        return { version, hash: stored.hash, written: false, added, removed };
      lint(text, target, options.config);
      const hash = allowlistHash(text);
      const outcome = await within(casWrite(client, target.key, text, hash, version), timeoutMs);
      if (outcome.status !== 'conflict')
        return { version: outcome.version, hash, written: outcome.status === 'written', added, removed };
      if (options.expectVersion !== undefined) throw conflict(target, options.expectVersion, outcome.version);
      await pause(attempt);
    }
    throw new AllowlistError(
      'CG_ALLOWLIST_CONFLICT',
      `corsgate: ${target.display} kept changing during ${EDIT_ATTEMPTS} attempts to edit it; try again`,
    );
  });
}
