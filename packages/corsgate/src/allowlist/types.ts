/**
 * The contract of the allowlist file module (`corsgate/allowlist`): what the parser returns and
 * what a live, watched allowlist offers. The gateway, the middleware adapters and the CLI all
 * program against these types.
 */
import type { IssueCode } from '../engine/errors.js';
import type { CorsConfigWithoutOrigins, Policy } from '../engine/policy.js';

/** A problem on one line of an allowlist file. `line` and `column` are 1-based. */
export interface AllowlistIssue {
  readonly code: IssueCode;
  readonly severity: 'error' | 'warning';
  readonly line: number;
  readonly column: number;
  /** The offending text as written on that line (trimmed). */
  readonly text: string;
  /** One sentence that says why, starting with "corsgate:". */
  readonly message: string;
  readonly suggestion?: string;
}

export interface AllowlistEntry {
  /** The normalised entry, as the engine stores it. */
  readonly origin: string;
  readonly line: number;
}

export interface ParsedAllowlist {
  readonly entries: readonly AllowlistEntry[];
  readonly warnings: readonly AllowlistIssue[];
  readonly errors: readonly AllowlistIssue[];
}

/** One applied version of the file: swapped in whole, never mutated. */
export interface AllowlistSnapshot {
  readonly policy: Policy;
  /** Increases by one on every applied change. */
  readonly version: number;
  /** sha256 of the file's bytes, hex. */
  readonly hash: string;
  readonly entries: readonly AllowlistEntry[];
  readonly warnings: readonly AllowlistIssue[];
  /** Epoch milliseconds. */
  readonly loadedAt: number;
}

/** Where versions come from (docs/allowlist.md "Sources"). */
export type AllowlistSourceKind = 'file' | 'redis' | 'store';

export interface AllowlistStatus {
  /** The file's path; for another source, where it reads (a Redis URL without its password). */
  readonly path: string;
  /** Which source this is; every source built on `AllowlistSourceBase` (the file watcher too) sets it. */
  readonly kind?: AllowlistSourceKind;
  /**
   * False while no version has been applied yet (a Redis source that started with Redis down
   * and no cache): the policy in force then allows no origin and the gateway is not ready.
   * Absent means true.
   */
  readonly ready?: boolean;
  /**
   * Epoch ms since when the source could not be reached (the last good version stays in force);
   * absent while it is reachable.
   */
  readonly staleSince?: number;
  /**
   * Set while a version that was read is held back because it looks half-written (docs/allowlist.md
   * "The partial-write rule"); absent otherwise.
   */
  readonly waiting?: AllowlistWaiting;
  readonly snapshot: AllowlistSnapshot;
  readonly lastReloadAt: number;
  readonly lastReloadResult:
    | 'applied'
    | 'unchanged'
    | 'rejected'
    | 'missing'
    | 'unreadable'
    /** A source that delivers versions from elsewhere could not be reached. */
    | 'unreachable';
  /** The errors of the last rejected version (cleared when a good version applies). */
  readonly lastErrors: readonly AllowlistIssue[];
  /** The last read failure (missing, permission), cleared when a read succeeds. */
  readonly lastReadError?: { readonly code: string; readonly message: string };
  readonly reloadsApplied: number;
  readonly reloadsRejected: number;
  /**
   * The file: 'watch+poll', or 'poll' when fs.watch is unavailable. Redis: 'pubsub+poll'. The
   * programmatic store: 'push' (the application sets each version).
   */
  readonly mode: 'watch+poll' | 'poll' | 'pubsub+poll' | 'push';
}

/** A version read but not applied yet, because it looks half-written. */
export interface AllowlistWaiting {
  /**
   * `no-final-newline`: its last line has no line ending; `empty`: it has zero bytes. Both are the
   * usual signs of a writer caught between two pieces of an in-place write.
   */
  readonly reason: 'no-final-newline' | 'empty';
  /** Epoch ms when the version was read. */
  readonly since: number;
  /** Epoch ms when it is read again: applied then if it did not change meanwhile. */
  readonly until: number;
  /** One sentence for the admin, starting with "corsgate:". */
  readonly message: string;
}

export interface WatchAllowlistOptions {
  /** The rest of the policy; `origins` comes from the file. */
  readonly config?: CorsConfigWithoutOrigins;
  /** Poll interval in ms (content hash compared), the fallback for filesystems without events. Default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * The quiet period: a version applies only once the file has not changed for this long after
   * the last write seen (events, mtime/ctime, a re-check before the swap). Default 50 ms.
   */
  readonly debounceMs?: number;
  /** Longest delay under a burst of events. Default 200 ms. */
  readonly maxWaitMs?: number;
  /**
   * The partial-write guard: a read that is zero bytes or does not end in a newline (and a file
   * that vanished after an event) is read once more after this many ms, and applied only if it
   * came back identical. Default 1000 ms.
   */
  readonly settleMs?: number;
  /** Every Nth poll tick reads and hashes the file even if `stat` shows no change. Default 10. */
  readonly hashEveryPolls?: number;
  /**
   * `false` for poll-only (filesystems without change events); a function to supply the directory
   * watcher (it receives the directory and a listener, returns something with `close()` and
   * `on('error')`). Default: `fs.watch(dir, { persistent: false })`.
   */
  readonly watch?: boolean | AllowlistWatchFactory;
  /** First retry delay after fs.watch fails, doubled up to 30 s. Default 1000 ms. */
  readonly rewatchMs?: number;
  /**
   * A reload parses and compiles in slices of at most about this many ms, giving the event loop a
   * turn between them (`parseAllowlistAsync`), so requests keep being served while a large file
   * reloads. The snapshot is still swapped whole, at the end. Default 4.
   */
  readonly sliceBudgetMs?: number;
}

/** What `watch` may supply: a directory watcher shaped like `fs.FSWatcher`. */
export type AllowlistWatchFactory = (
  dir: string,
  listener: (event: string, filename: string | null) => void,
) => { close(): void; on(event: 'error', listener: (error: Error) => void): unknown };

export type AllowlistEvent =
  | { readonly type: 'reloaded'; readonly snapshot: AllowlistSnapshot; readonly forced: boolean }
  | { readonly type: 'unchanged'; readonly forced: boolean }
  | { readonly type: 'rejected'; readonly errors: readonly AllowlistIssue[] }
  | { readonly type: 'missing'; readonly message: string }
  | { readonly type: 'unreadable'; readonly code: string; readonly message: string }
  | { readonly type: 'recovered'; readonly snapshot: AllowlistSnapshot }
  | { readonly type: 'unreachable'; readonly message: string; readonly since: number };

/**
 * A watched allowlist: `current` is always a whole, valid snapshot. This is also the contract of
 * every allowlist source (file, Redis, the programmatic store): whatever delivers versions, the
 * gateway, the adapters and the CLI read `current` and listen to `on`.
 */
export interface AllowlistWatcher {
  readonly current: AllowlistSnapshot;
  status(): AllowlistStatus;
  /** Re-reads now; with `force`, even when nothing signalled a change. */
  reload(options?: { force?: boolean }): Promise<AllowlistEvent>;
  on(listener: (event: AllowlistEvent) => void): () => void;
  close(): Promise<void>;
}

/** Any source of allowlist versions: the file watcher, a Redis source, the programmatic store. */
export type AllowlistSource = AllowlistWatcher;
