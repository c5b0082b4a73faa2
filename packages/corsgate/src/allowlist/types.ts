/**
 * The contract of the allowlist file module (`corsgate/allowlist`): what the parser returns and
 * what a live, watched allowlist offers. The gateway, the middleware adapters and the CLI all
 * program against these types.
 */
import type { CorsConfigWithoutOrigins, IssueCode, Policy } from '../index.js';

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

export interface AllowlistStatus {
  readonly path: string;
  readonly snapshot: AllowlistSnapshot;
  readonly lastReloadAt: number;
  readonly lastReloadResult: 'applied' | 'unchanged' | 'rejected' | 'missing' | 'unreadable';
  /** The errors of the last rejected version (cleared when a good version applies). */
  readonly lastErrors: readonly AllowlistIssue[];
  /** The last read failure (missing, permission), cleared when a read succeeds. */
  readonly lastReadError?: { readonly code: string; readonly message: string };
  readonly reloadsApplied: number;
  readonly reloadsRejected: number;
  /** 'watch+poll', or 'poll' when fs.watch is unavailable. */
  readonly mode: 'watch+poll' | 'poll';
}

export interface WatchAllowlistOptions {
  /** The rest of the policy; `origins` comes from the file. */
  readonly config?: CorsConfigWithoutOrigins;
  /** Poll interval in ms (content hash compared), the fallback for filesystems without events. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Quiet time after the last event before reading. Default 25 ms. */
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
  | { readonly type: 'recovered'; readonly snapshot: AllowlistSnapshot };

/** A watched allowlist: `current` is always a whole, valid snapshot. */
export interface AllowlistWatcher {
  readonly current: AllowlistSnapshot;
  status(): AllowlistStatus;
  /** Re-reads now; with `force`, even when nothing signalled a change. */
  reload(options?: { force?: boolean }): Promise<AllowlistEvent>;
  on(listener: (event: AllowlistEvent) => void): () => void;
  close(): Promise<void>;
}
