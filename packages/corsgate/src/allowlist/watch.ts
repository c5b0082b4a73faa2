/**
 * `watchAllowlist(path)`: a live allowlist that follows the file however it is changed, the design
 * of docs/allowlist.md ("How it follows the file"):
 * - watch the PARENT directory, never the file's inode (an atomic rename, `sed -i`, an editor or a
 *   Kubernetes `..data` swap replaces the inode, and an inode watch goes deaf);
 * - keep only events whose filename is the file's, `..data` (Kubernetes) or null (unknown);
 * - debounce with a maximum wait, so a burst costs one or two reloads and a long burst still lands;
 * - apply a version only after the quiet period (`debounceMs`) since the file's last change,
 *   measured from its mtime/ctime and re-checked by `stat` right before the swap, within the
 *   max wait (docs/allowlist.md, "What the watcher can and cannot tell apart");
 * - poll `stat` (dev, inode, size, mtime, ctime) every `pollIntervalMs`, and hash the content
 *   every Nth tick: the fallback for filesystems without events (NFS, some Docker mounts) and for
 *   an fs.watch that failed;
 * - read via the path every time (never a cached fd);
 * - never deliver a partial write (see `settleMs`).
 * It only detects changes and reads: validating, applying, keeping the last good version and
 * reporting are `AllowlistSourceBase`'s, the same for every source (docs/sources.md "One state
 * machine"): identical content is a no-op, a version with any error is rejected whole, a missing or
 * unreadable file keeps the last good version, and the snapshot is one frozen object swapped by a
 * single assignment.
 */

import { watch as fsWatch, type Stats, statSync } from 'node:fs';
import { type FileHandle, open, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { ParseAhead } from './ahead.js';
import { invalidAllowlistError, unusableAllowlistError, wholeFileProblem } from './errors.js';
import { allowlistHash } from './hash.js';
import { type AllowlistApplySteps, AllowlistSourceBase } from './source.js';
import type {
  AllowlistEvent,
  AllowlistStatus,
  AllowlistWaiting,
  AllowlistWatcher,
  AllowlistWatchFactory,
  WatchAllowlistOptions,
} from './types.js';

export const DEFAULT_POLL_INTERVAL_MS = 1000;
/**
 * The quiet period: a version applies only once the file has not changed for this long since the
 * LAST write seen (docs/allowlist.md, "What the watcher can and cannot tell apart"); 50 ms leaves
 * room for the read and parse inside the 100 ms promise for an ordinary single write.
 */
export const DEFAULT_QUIET_MS = 50;
export const DEFAULT_DEBOUNCE_MS = DEFAULT_QUIET_MS;
export const DEFAULT_MAX_WAIT_MS = 200;
export const DEFAULT_SETTLE_MS = 1000;
export const DEFAULT_HASH_EVERY_POLLS = 10;
export const DEFAULT_REWATCH_MS = 1000;
const MAX_REWATCH_MS = 30_000;
/** The Kubernetes ConfigMap/Secret volume swaps this symlink to publish a new version. */
const K8S_DATA = '..data';

type ReadResult =
  | { readonly kind: 'ok'; readonly bytes: Buffer; readonly sig: string }
  | { readonly kind: 'missing'; readonly message: string }
  | { readonly kind: 'unreadable'; readonly code: string; readonly message: string; readonly sig: string }
  | { readonly kind: 'in-progress' };

function signature(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.isFile() ? 'f' : 'x'}`;
}

/**
 * The partial-write rule: zero bytes or no final newline may be a writer caught mid-write (an
 * in-place `>` truncates first, then writes). Such a read is re-read once after `settleMs` and is
 * applied only if it came back byte-identical.
 */
function looksPartial(bytes: Buffer): boolean {
  return bytes.length === 0 || bytes[bytes.length - 1] !== 0x0a;
}

const isMissing = (code: string | undefined) => code === 'ENOENT' || code === 'ENOTDIR';

/**
 * Starts watching `path`. Resolves once the first version is applied.
 * @throws AllowlistError `CG_ALLOWLIST_MISSING` / `CG_ALLOWLIST_UNREADABLE` when the file cannot
 *   be read at start, or the first error's code (with every error in `issues`) when it is invalid:
 *   there is no last good version to fall back on, so starting would mean guessing.
 */
export async function watchAllowlist(
  path: string,
  options: WatchAllowlistOptions = {},
): Promise<AllowlistWatcher> {
  const watcher = new FileAllowlistWatcher(resolve(path), options);
  try {
    await watcher.start();
  } catch (error) {
    await watcher.close();
    throw error;
  }
  return watcher;
}

class FileAllowlistWatcher extends AllowlistSourceBase {
  private readonly path: string;
  private readonly dir: string;
  private readonly base: string;
  /** Event filenames that concern us: the file's, `..data`, and its symlink target's in the same directory. */
  private names: Set<string>;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private readonly settleMs: number;
  private readonly hashEveryPolls: number;
  private readonly factory: AllowlistWatchFactory | undefined;
  private readonly rewatchMs: number;

  private lastSig = '';
  private trackedIno: number | undefined;

  /** Reads run one at a time (each read, then its apply); the base orders the applies. */
  private reads: Promise<unknown> = Promise.resolve();
  private scheduledPending = false;
  private debounceTimer: NodeJS.Timeout | undefined;
  private firstEventAt: number | undefined;
  /** When an automatic reload was first put off because the file was not yet quiet. */
  private deferringSince: number | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  /** Reads and parses a changed file while the quiet period runs (ahead.ts). */
  private readonly ahead = new ParseAhead({
    read: async () => {
      const bytes = await readFile(this.path);
      return looksPartial(bytes) ? undefined : bytes;
    },
    hash: allowlistHash,
    known: (hash) => this.isKnown(hash),
    parse: (bytes) => this.parseVersion(bytes),
  });

  private fsw: ReturnType<AllowlistWatchFactory> | undefined;
  private watchedDirIno: number | undefined;
  private nextWatchAttemptAt = 0;
  private watchFailures = 0;

  constructor(path: string, options: WatchAllowlistOptions) {
    super('file', path, 'watch+poll', options);
    this.path = path;
    this.dir = dirname(path);
    this.base = basename(path);
    this.names = new Set([this.base, K8S_DATA]);
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.maxWaitMs = Math.max(options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, this.debounceMs);
    // The partial-write guard waits at least one more quiet period (docs/allowlist.md).
    this.settleMs = Math.max(options.settleMs ?? DEFAULT_SETTLE_MS, this.debounceMs);
    this.hashEveryPolls = Math.max(1, options.hashEveryPolls ?? DEFAULT_HASH_EVERY_POLLS);
    this.rewatchMs = options.rewatchMs ?? DEFAULT_REWATCH_MS;
    const watch = options.watch ?? true;
    this.factory =
      watch === false
        ? undefined
        : watch === true
          ? (dir, listener) => fsWatch(dir, { persistent: false }, listener)
          : watch;
  }

  /** Reads and applies the first version, then starts watching; throws when there is none to apply. */
  async start(): Promise<void> {
    const read = await this.read(false);
    if (read.kind === 'missing') {
      throw unusableAllowlistError('CG_ALLOWLIST_MISSING', this.path, read.message);
    }
    if (read.kind === 'unreadable') {
      throw unusableAllowlistError('CG_ALLOWLIST_UNREADABLE', this.path, read.message);
    }
    if (read.kind === 'in-progress') {
      throw unusableAllowlistError(
        'CG_ALLOWLIST_UNREADABLE',
        this.path,
        'the file kept changing while it was read at start; try again',
      );
    }
    const first = await this.apply({ text: read.bytes });
    if (first.type === 'rejected')
      throw invalidAllowlistError(`allowlist ${this.path} is invalid`, this.path, first.errors);
    this.lastSig = read.sig;
    this.startWatch();
    this.armPoll();
  }

  protected override currentMode(): AllowlistStatus['mode'] {
    return this.fsw === undefined ? 'poll' : 'watch+poll';
  }

  protected refresh(force: boolean): Promise<AllowlistEvent> {
    const run = this.reads.then(() => this.doReload(force, false));
    this.reads = run.catch(() => undefined);
    return run;
  }

  protected async stop(): Promise<void> {
    this.ahead.stop();
    clearTimeout(this.debounceTimer);
    clearTimeout(this.pollTimer);
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.done();
    }
    this.sleepers.clear();
    this.stopWatch();
    await this.reads;
  }

  // --- change detection -------------------------------------------------------------------

  private startWatch(): void {
    if (this.factory === undefined || this.closed) return;
    let ino: number;
    try {
      ino = statSync(this.dir).ino;
    } catch {
      // The directory is gone: poll, and try again on the next tick (no backoff: nothing failed).
      this.nextWatchAttemptAt = 0;
      return;
    }
    try {
      const fsw = this.factory(this.dir, (_event, filename) => {
        // A null filename means "something changed here" (some platforms): check.
        if (filename === null || this.names.has(filename.toString())) {
          this.schedule();
          this.ahead.start();
        }
      });
      fsw.on('error', (error) => {
        // Only the watcher in use may switch us to polling, not one already replaced.
        if (this.fsw === fsw) this.watchFailed(error);
      });
      this.fsw = fsw;
      this.watchedDirIno = ino;
      this.watchFailures = 0;
    } catch (error) {
      this.watchFailed(error as Error);
    }
  }

  private stopWatch(): void {
    const fsw = this.fsw;
    this.fsw = undefined;
    this.watchedDirIno = undefined;
    try {
      fsw?.close();
    } catch {
      // Closing a watcher whose directory is gone can throw on some platforms; it is gone anyway.
    }
  }

  /** fs.watch failed (ENOSPC, EPERM, no support): poll only, retry with backoff, check now. */
  private watchFailed(_error: Error): void {
    this.stopWatch();
    this.watchFailures++;
    const backoff = Math.min(this.rewatchMs * 2 ** (this.watchFailures - 1), MAX_REWATCH_MS);
    this.nextWatchAttemptAt = Date.now() + backoff;
    if (!this.closed) this.triggerReload();
  }

  /** On every poll tick: re-create the watch when the directory was replaced or the watch failed. */
  private async checkWatch(): Promise<void> {
    if (this.factory === undefined || this.closed) return;
    if (this.fsw !== undefined) {
      let ino: number | undefined;
      try {
        ino = (await stat(this.dir)).ino;
      } catch {
        ino = undefined;
      }
      if (ino === this.watchedDirIno) return;
      // The directory was removed (and maybe recreated): the old watch is deaf.
      this.stopWatch();
      this.nextWatchAttemptAt = 0;
    }
    if (Date.now() < this.nextWatchAttemptAt) return;
    this.startWatch();
    if (this.fsw !== undefined) this.triggerReload();
  }

  private armPoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => void this.pollTick(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private async pollTick(): Promise<void> {
    if (this.closed) return;
    this.ticks++;
    try {
      let sig: string;
      try {
        sig = signature(await stat(this.path));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        sig = isMissing(code) ? 'missing' : `error:${code}`;
      }
      if (sig !== this.lastSig || this.ticks % this.hashEveryPolls === 0) {
        // The tick is itself a throttle: reload now. While events are still arriving (a debounce
        // is pending), join the debounce so that polling adds no reloads to a burst.
        if (this.debounceTimer === undefined) this.triggerReload();
        else this.schedule();
      }
      await this.checkWatch();
    } finally {
      // Whatever happened, the poll goes on: it is the last line of defence.
      this.armPoll();
    }
  }

  /** Trailing debounce, capped by the max wait since the first event of the burst. */
  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.firstEventAt === undefined) this.firstEventAt = now;
    clearTimeout(this.debounceTimer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.firstEventAt + this.maxWaitMs - now));
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.firstEventAt = undefined;
      this.triggerReload();
    }, wait);
    this.debounceTimer.unref();
  }

  /** Queues one unforced reload unless one is already waiting to start. */
  private triggerReload(): void {
    if (this.scheduledPending || this.closed) return;
    this.scheduledPending = true;
    const run = this.reads.then(() => {
      this.scheduledPending = false;
      return this.doReload(false, true);
    });
    this.reads = run.catch(() => undefined);
  }

  /**
   * How much longer the file must stay quiet before the version read as `readSig` may be applied:
   * 0 when it has not changed since that read and its last change (mtime or ctime, whichever is
   * later; a writer cannot set ctime) is at least the quiet period ago.
   */
  private async quietDelay(readSig: string): Promise<number> {
    let st: Stats;
    try {
      st = await stat(this.path);
    } catch {
      return 0; // Gone or unreadable meanwhile: the next event or poll tick reports it.
    }
    if (signature(st) !== readSig) return this.debounceMs;
    const sinceChange = Date.now() - Math.max(st.mtimeMs, st.ctimeMs);
    return sinceChange >= this.debounceMs
      ? 0
      : Math.min(this.debounceMs, Math.ceil(this.debounceMs - sinceChange));
  }

  /**
   * The quiet-period gate of automatic reloads: true when the reload must be put off (and a new
   * one is scheduled). The max wait bounds it, so a file written continuously still applies.
   */
  private async putOff(readSig: string): Promise<boolean> {
    const delay = await this.quietDelay(readSig);
    const now = Date.now();
    if (delay === 0 || this.closed) {
      this.deferringSince = undefined;
      return false;
    }
    this.deferringSince ??= now;
    if (now - this.deferringSince >= this.maxWaitMs) {
      this.deferringSince = undefined;
      return false;
    }
    if (this.debounceTimer === undefined) {
      // A pending debounce (a newer event) will reload anyway; otherwise come back when quiet.
      this.debounceTimer = setTimeout(() => {
        this.debounceTimer = undefined;
        this.firstEventAt = undefined;
        this.triggerReload();
      }, delay);
      this.debounceTimer.unref();
    }
    return true;
  }

  // --- reading -----------------------------------------------------------------------------

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          done();
        }, ms),
        done,
      };
      sleeper.timer.unref();
      this.sleepers.add(sleeper);
    });
  }

  private async readOnce(): Promise<ReadResult> {
    let handle: FileHandle | undefined;
    try {
      // Open via the path every time (a cached fd would keep reading a replaced inode), and stat
      // the open file, so the signature describes exactly the bytes read.
      handle = await open(this.path, 'r');
      const st = await handle.stat();
      if (!st.isFile()) {
        return { kind: 'unreadable', code: 'EISDIR', message: 'is not a regular file', sig: signature(st) };
      }
      const bytes = await handle.readFile();
      if (st.ino !== this.trackedIno) {
        this.trackedIno = st.ino;
        await this.trackSymlinkTarget();
      }
      return { kind: 'ok', bytes, sig: signature(st) };
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (isMissing(err.code)) return { kind: 'missing', message: 'the file does not exist' };
      return { kind: 'unreadable', code: err.code ?? 'EIO', message: err.message, sig: `error:${err.code}` };
    } finally {
      await handle?.close();
    }
  }

  /**
   * When the path is a symlink to a file in the same directory (`ln -sfn list.v2 list`), an
   * in-place edit of the target raises events under the target's name: listen for it too. A
   * target elsewhere is covered by the poll.
   */
  private async trackSymlinkTarget(): Promise<void> {
    let real: string;
    try {
      real = await realpath(this.path);
    } catch {
      return;
    }
    const names = new Set([this.base, K8S_DATA]);
    if (dirname(real) === this.dir) names.add(basename(real));
    this.names = names;
  }

  /** One read, with the partial-write guard and, after an event, one re-check of a vanished file. */
  private async read(afterEvent: boolean): Promise<ReadResult> {
    const first = await this.readOnce();
    if (first.kind === 'missing' && afterEvent) {
      // Editors rename the old file away before writing the new one: give the writer a moment.
      await this.sleep(this.settleMs);
      if (this.closed) return first;
      return this.readOnce();
    }
    if (first.kind !== 'ok' || !looksPartial(first.bytes)) return first;
    // The usual sign of a half-written file: read it again once it has had time to finish, and
    // say meanwhile that a version is waiting (status().waiting, docs/allowlist.md).
    this.markWaiting(this.halfWritten(first.bytes));
    await this.sleep(this.settleMs);
    this.markWaiting(undefined);
    if (this.closed) return { kind: 'in-progress' };
    const again = await this.readOnce();
    if (again.kind !== 'ok' || !looksPartial(again.bytes)) return again;
    // Still no final newline: apply only if nothing moved (a file that really ends that way).
    if (again.bytes.equals(first.bytes)) return again;
    return { kind: 'in-progress' };
  }

  private halfWritten(bytes: Buffer): AllowlistWaiting {
    const since = Date.now();
    const until = since + this.settleMs;
    const empty = bytes.length === 0;
    const sign = empty ? 'is empty' : 'ends without a line ending';
    return {
      reason: empty ? 'empty' : 'no-final-newline',
      since,
      until,
      message: `corsgate: ${this.path} ${sign}, the usual sign of a half-written file: it is read again at ${new Date(until).toISOString()} and applied only if it has not changed; the version in force (${this.current.version}) stays until then`,
    };
  }

  /**
   * One reload: read, report a file that cannot be read, wait for the quiet period, and hand the
   * bytes to the base, which validates and applies them (or keeps the last good version).
   */
  private async doReload(force: boolean, afterEvent: boolean): Promise<AllowlistEvent> {
    if (this.closed) return { type: 'unchanged', forced: force };
    const read = await this.read(afterEvent);
    // The writer is still at it: its next write raises another event (or the next poll tick).
    if (this.closed || read.kind === 'in-progress') return { type: 'unchanged', forced: force };
    const stays = `the last good version (${this.current.version}) stays in force`;
    if (read.kind === 'missing') {
      this.lastSig = 'missing';
      const problem = (m: string) => wholeFileProblem('CG_ALLOWLIST_MISSING', this.path, m);
      return this.markMissing(problem(read.message), problem(`${read.message}; ${stays}`), force);
    }
    if (read.kind === 'unreadable') {
      this.lastSig = read.sig;
      const problem = (m: string) => wholeFileProblem('CG_ALLOWLIST_UNREADABLE', this.path, m);
      return this.markUnreadable(
        read.code,
        problem(read.message),
        problem(`cannot be read (${read.message}); ${stays}`),
        force,
      );
    }
    // Automatic reloads wait for the quiet period after the last write (explicit ones do not).
    const gated = afterEvent && !force;
    if (gated && (await this.putOff(read.sig))) return { type: 'unchanged', forced: force };
    this.lastSig = read.sig;
    const hash = allowlistHash(read.bytes);
    // The same bytes parsed ahead during the quiet period are not parsed twice (ahead.ts); a write
    // during the read or the parse puts this version off, re-checked right before the swap.
    const parsed = this.ahead.take(hash);
    const steps: AllowlistApplySteps = {
      ...(parsed === undefined ? {} : { parsed }),
      ...(gated ? { putOff: () => this.putOff(read.sig) } : {}),
    };
    return this.apply({ text: read.bytes, hash }, force, steps);
  }
}
