/**
 * Writing the list in Redis (docs/sources.md "Writing"): `push` (the whole text), `add`/`remove`
 * (one edit), `pull` (read). Every write is linted first and refused with every issue when it has
 * an error, so an invalid list is never stored by corsgate; then written as one atomic version
 * with compare-and-set on the version (data.ts). `add` and `remove` read the version, edit its
 * text and write it back expecting that version: a concurrent writer makes the write retry on the
 * new text, never lose either change.
 */
import { hostname } from 'node:os';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import {
  type AllowlistEdit,
  AllowlistError,
  allowlistHash,
  editAllowlistText,
  parseAllowlist,
} from 'corsgate/allowlist';
import { invalidAllowlistError } from 'corsgate/internal';
import { Connection } from './connection.js';
import { type AuditNote, casWrite, readStored, type StoredVersion, within } from './data.js';
import { parseRedisSource, type RedisTarget } from './url.js';

export interface RedisWriteOptions {
  /** The rest of the policy the list is linted with (`credentials` refuses `*`, `http://`…). */
  readonly config?: CorsConfigWithoutOrigins;
  /** Compare-and-set: write only if this is still the version stored (0: only if none is). */
  readonly expectVersion?: number;
  /**
   * Give up when Redis has not answered after this long, a failover included. Default 5000 ms for
   * one server, 15000 ms with Sentinel or Cluster.
   */
  readonly timeoutMs?: number;
  /** The audit stream's entry for this write: the node and the record (default: the CLI's). */
  readonly audit?: AuditNote;
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
export async function withClient<T>(
  target: RedisTarget,
  timeoutMs: number,
  task: (c: Connection) => Promise<T>,
): Promise<T> {
  const client = new Connection(target, {
    connectTimeoutMs: timeoutMs,
    reconnectMaxMs: 500,
    persistent: false,
  });
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

/** What a write computes from the stored version: a text to write, or the answer without writing. */
type Plan =
  | { readonly text: string; readonly added: readonly string[]; readonly removed: readonly string[] }
  | { readonly answer: RedisWriteResult };

/** A write sent whose outcome is not known yet (the connection broke before the answer). */
interface Unsure {
  /** The version the write expected; -1 when it expected "whatever is there". */
  readonly base: number;
  readonly hash: string;
  readonly plan: Extract<Plan, { text: string }>;
}

interface WriteVersionOptions extends RedisWriteOptions {
  /** A push: a record corsgate did not write may be replaced when no version is expected. */
  readonly replaces?: boolean;
}

interface WriteState {
  unsure: Unsure | undefined;
  conflicts: number;
  readonly deadline: number;
}

/** How long a write waits for Redis, failover included, unless `timeoutMs` says otherwise. */
function defaultTimeout(target: RedisTarget): number {
  return target.mode === 'single' ? 5_000 : 15_000;
}

/**
 * Every write (docs/sources.md "Writes during a failover"): read the stored version, compute the
 * text, compare-and-set on that version, then wait for `replicas` replicas to confirm it. When the
 * connection breaks after the script was sent, the outcome is unknown: the write reconnects (to
 * the new master, after a failover), reads the stored version, and either finds its own text one
 * version above the one it expected (applied, once), or finds the version it expected (not
 * applied, or lost with the old master: written again), or anything else (refused with
 * CG_ALLOWLIST_WRITE_UNCONFIRMED: the outcome cannot be known). Never written twice, never lost
 * without an error.
 */
async function writeVersion(
  target: RedisTarget,
  options: WriteVersionOptions,
  plan: (stored: StoredVersion | undefined, hostile: boolean) => Plan,
  note: AuditNote,
): Promise<RedisWriteResult> {
  const timeoutMs = options.timeoutMs ?? defaultTimeout(target);
  const state: WriteState = { unsure: undefined, conflicts: 0, deadline: Date.now() + timeoutMs };
  for (let round = 0; ; round++) {
    try {
      const left = Math.max(1, state.deadline - Date.now());
      return await withClient(target, left, (client) =>
        attemptWrite(client, target, options, plan, note, state),
      );
    } catch (error) {
      const retry = error instanceof AllowlistError && error.code === 'CG_ALLOWLIST_UNREACHABLE';
      // One server has no failover to wait for: fail fast unless a write is in doubt.
      if (!retry || (target.mode === 'single' && state.unsure === undefined)) throw error;
      if (Date.now() >= state.deadline)
        throw state.unsure === undefined
          ? error
          : unconfirmed(target, 'the connection broke before Redis answered');
      await pause(round);
    }
  }
}

async function attemptWrite(
  client: Connection,
  target: RedisTarget,
  options: WriteVersionOptions,
  plan: (stored: StoredVersion | undefined, hostile: boolean) => Plan,
  note: AuditNote,
  state: WriteState,
): Promise<RedisWriteResult> {
  const left = (): number => Math.max(1, state.deadline - Date.now());
  for (; state.conflicts < EDIT_ATTEMPTS; state.conflicts++) {
    const { stored, hostile } = await readForWrite(client, target, options, left());
    const doubt = state.unsure;
    if (doubt !== undefined) {
      if (stored?.hash === doubt.hash && (doubt.base < 0 || stored.version === doubt.base + 1))
        return written(doubt, stored.version);
      if (doubt.base < 0 || (stored?.version ?? 0) !== doubt.base)
        throw unconfirmed(target, 'another version was written meanwhile');
      state.unsure = undefined; // not applied (or lost with the old master): write it again
    }
    const next = plan(stored, hostile);
    if ('answer' in next) return next.answer;
    const hash = allowlistHash(next.text);
    const expect = hostile ? undefined : (stored?.version ?? 0);
    state.unsure = { base: expect ?? -1, hash, plan: next };
    const outcome = await within(casWrite(client, target.key, next.text, hash, expect, note), left());
    if (outcome.status === 'conflict') {
      state.unsure = undefined;
      if (options.expectVersion !== undefined) throw conflict(target, options.expectVersion, outcome.version);
      await pause(state.conflicts);
      continue;
    }
    if (outcome.status === 'written') await confirmed(client, target, outcome.version, left());
    state.unsure = undefined;
    const applied = outcome.status === 'written';
    return { version: outcome.version, hash, written: applied, added: next.added, removed: next.removed };
  }
  throw new AllowlistError(
    'CG_ALLOWLIST_CONFLICT',
    `corsgate: ${target.display} kept changing during ${EDIT_ATTEMPTS} attempts to edit it; try again`,
  );
}

function written(doubt: Unsure, version: number): RedisWriteResult {
  return { version, hash: doubt.hash, written: true, added: doubt.plan.added, removed: doubt.plan.removed };
}

/**
 * The stored version a write starts from. A push that expects no version replaces a record
 * corsgate did not write (the way out of a hostile record); every other write refuses it.
 */
async function readForWrite(
  client: Connection,
  target: RedisTarget,
  options: WriteVersionOptions,
  timeoutMs: number,
): Promise<{ stored: StoredVersion | undefined; hostile: boolean }> {
  try {
    return { stored: await readStored(client, target.key, timeoutMs), hostile: false };
  } catch (error) {
    const replaceable =
      options.replaces === true && options.expectVersion === undefined && error instanceof AllowlistError;
    if (replaceable && error.code === 'CG_ALLOWLIST_RECORD_INVALID')
      return { stored: undefined, hostile: true };
    throw error;
  }
}

/** Waits until `target.replicas` replicas hold the version (`WAIT`); a master alone is not enough. */
async function confirmed(
  client: Connection,
  target: RedisTarget,
  version: number,
  leftMs: number,
): Promise<void> {
  if (target.replicas === 0) return;
  const waitMs = Math.max(1, Math.min(REPLICA_WAIT_MS, leftMs));
  const acked = Number(
    await within(
      client.command(target.key, ['WAIT', String(target.replicas), String(waitMs)]),
      waitMs + 1_000,
    ),
  );
  if (acked < target.replicas)
    throw unconfirmed(
      target,
      `version ${version} is on the master, but ${acked} of ${target.replicas} replica(s) confirmed it within ${waitMs} ms`,
    );
}

/** How long a write waits for its replicas to confirm it. */
const REPLICA_WAIT_MS = 2_000;

function unconfirmed(target: RedisTarget, why: string): AllowlistError {
  return new AllowlistError(
    'CG_ALLOWLIST_WRITE_UNCONFIRMED',
    `corsgate: the write to ${target.display} is not confirmed (${why}); a failover may have lost it or kept it. Read the list back (corsgate allowlist pull) before writing again`,
  );
}

/** The audit entry of a write from the command line (the admin API passes its own). */
function auditNote(options: RedisWriteOptions, action: string): AuditNote {
  return (
    options.audit ?? {
      node: hostname(),
      record: { at: new Date().toISOString(), token: 'cli', address: '', action },
    }
  );
}

/**
 * Replaces the whole list with `text` as one new version.
 * @throws AllowlistError with every issue when the text has an error (nothing written),
 *   `CG_ALLOWLIST_CONFLICT` when `expectVersion` is not the stored version,
 *   `CG_ALLOWLIST_UNREACHABLE` when Redis does not answer, `CG_ALLOWLIST_WRITE_UNCONFIRMED` when
 *   the outcome of a write caught in a failover cannot be known.
 */
export async function pushRedisAllowlist(
  source: string,
  text: string,
  options: RedisWriteOptions = {},
): Promise<RedisWriteResult> {
  const target = parseRedisSource(source);
  lint(text, target, options.config);
  const hash = allowlistHash(text);
  return writeVersion(
    target,
    { ...options, replaces: true },
    (stored) => {
      const version = stored?.version ?? 0;
      if (options.expectVersion !== undefined && options.expectVersion !== version)
        throw conflict(target, options.expectVersion, version);
      if (stored?.hash === hash) return { answer: { version, hash, written: false, added: [], removed: [] } };
      return { text, added: [], removed: [] };
    },
    auditNote(options, 'replace'),
  );
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
  const action = edit.add === undefined ? 'remove' : 'add';
  return writeVersion(
    target,
    options,
    (stored) => {
      const version = stored?.version ?? 0;
      if (options.expectVersion !== undefined && options.expectVersion !== version)
        throw conflict(target, options.expectVersion, version);
      const before = stored?.text ?? '';
      const { text, added, removed } = editAllowlistText(before, edit);
      if (text === before && stored !== undefined)
        return { answer: { version, hash: stored.hash, written: false, added, removed } };
      lint(text, target, options.config);
      return { text, added, removed };
    },
    auditNote(options, action),
  );
}
