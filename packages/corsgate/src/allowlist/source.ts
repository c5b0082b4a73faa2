/**
 * What every allowlist source that is not the file shares (docs/allowlist.md "Sources"): a source
 * delivers versions of the list (the file format, comments included); this base validates each one
 * in slices, swaps the compiled snapshot whole, keeps the last good version when one has errors or
 * when the source cannot be reached, and reports all of it through `status()` and `on()`, exactly
 * as the file watcher does. The Redis source (`@corsgate/redis`) and the programmatic store
 * (`createAllowlistStore`) are built on it; an application can build its own the same way.
 */
import { createHash } from 'node:crypto';
import type { CorsConfigWithoutOrigins } from '../engine/policy.js';
import { createPolicy } from '../engine/policy.js';
import { type ParsedAllowlistResult, parseAllowlistAsync } from './parse.js';
import { ReloadRecord } from './reloads.js';
import type {
  AllowlistEvent,
  AllowlistIssue,
  AllowlistSnapshot,
  AllowlistSourceKind,
  AllowlistStatus,
  AllowlistWatcher,
} from './types.js';

/** One version as a source delivers it. */
export interface AllowlistVersion {
  /** The list in the file format. Bytes are checked for UTF-8 like a file's. */
  readonly text: string | Uint8Array;
  /** The source's version number; omitted, the base counts (previous + 1). */
  readonly version?: number;
  /** sha256 of the text's UTF-8 bytes, hex; computed when omitted. */
  readonly hash?: string;
}

export interface AllowlistSourceOptions {
  /** The rest of the policy; `origins` come from the source. */
  readonly config?: CorsConfigWithoutOrigins;
  /** Slice budget of the parse and compile (`parseAllowlistAsync`). Default 4 ms. */
  readonly sliceBudgetMs?: number;
}

/** sha256 of the text's UTF-8 bytes, hex: the content hash every source records. */
export function allowlistHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The base of a source. A subclass calls `apply` with every version it learns of, and
 * `markUnreachable` / `markReachable` as its connection comes and goes; it implements `refresh`
 * (fetch the version now) and `stop` (release connections).
 */
export abstract class AllowlistSourceBase implements AllowlistWatcher {
  protected readonly config: CorsConfigWithoutOrigins;
  private readonly sliceBudgetMs: number | undefined;
  private snapshot: AllowlistSnapshot;
  private applied = false;
  private staleSince: number | undefined;
  private readonly reloads = new ReloadRecord();
  private readonly listeners = new Set<(event: AllowlistEvent) => void>();
  /** Versions apply one at a time, in the order they were delivered. */
  private chain: Promise<unknown> = Promise.resolve();
  protected closed = false;

  protected constructor(
    readonly kind: AllowlistSourceKind,
    private readonly location: string,
    private readonly mode: AllowlistStatus['mode'],
    options: AllowlistSourceOptions,
  ) {
    this.config = options.config ?? {};
    this.sliceBudgetMs = options.sliceBudgetMs;
    // Until a version applies, the policy in force allows no origin (fail closed); this compile
    // also validates the rest of the configuration now, synchronously.
    this.snapshot = Object.freeze({
      policy: createPolicy({ ...this.config, origins: [] }),
      version: 0,
      hash: '',
      entries: Object.freeze([]),
      warnings: Object.freeze([]),
      loadedAt: Date.now(),
    });
  }

  get current(): AllowlistSnapshot {
    return this.snapshot;
  }

  /** True once a version has applied. */
  get ready(): boolean {
    return this.applied;
  }

  status(): AllowlistStatus {
    return {
      path: this.location,
      kind: this.kind,
      ready: this.applied,
      ...(this.staleSince === undefined ? {} : { staleSince: this.staleSince }),
      snapshot: this.snapshot,
      ...this.reloads.status(),
      mode: this.mode,
    };
  }

  on(listener: (event: AllowlistEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  reload(options: { force?: boolean } = {}): Promise<AllowlistEvent> {
    return this.refresh(options.force === true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stop();
    await this.chain.catch(() => undefined);
    this.listeners.clear();
  }

  /** Fetches the source's version now and applies it when it differs from the one in force. */
  protected abstract refresh(force: boolean): Promise<AllowlistEvent>;
  /** Releases what the source holds (connections, timers). */
  protected abstract stop(): Promise<void>;

  /**
   * Validates and applies one version: the same text as the one in force is a no-op, one with an
   * error is rejected whole (the last good version stays), a good one replaces the snapshot in one
   * assignment. Versions apply in delivery order.
   */
  protected apply(version: AllowlistVersion, force = false): Promise<AllowlistEvent> {
    const run = this.chain.then(() => this.applyNow(version, force));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async applyNow(delivered: AllowlistVersion, force: boolean): Promise<AllowlistEvent> {
    if (this.closed) return { type: 'unchanged', forced: force };
    const hash = delivered.hash ?? allowlistHash(delivered.text);
    const wasDown =
      this.reloads.lastReloadResult !== 'applied' && this.reloads.lastReloadResult !== 'unchanged';
    this.reloads.lastReloadAt = Date.now();
    this.reloads.lastReadError = undefined;
    const sameVersion = delivered.version === undefined || delivered.version === this.snapshot.version;
    if (this.applied && hash === this.snapshot.hash && sameVersion) {
      this.reloads.unchanged();
      const event: AllowlistEvent = { type: 'unchanged', forced: force };
      if (force) this.emit(event);
      if (wasDown) this.emit({ type: 'recovered', snapshot: this.snapshot });
      return event;
    }
    if (hash === this.reloads.lastRejectedHash && !force)
      return { type: 'rejected', errors: this.reloads.lastErrors };
    const parsed = await this.parse(delivered.text);
    if (this.closed) return { type: 'unchanged', forced: force };
    if (parsed.policy === undefined) return this.rejectNow(parsed.errors, hash);
    const snapshot: AllowlistSnapshot = Object.freeze({
      policy: parsed.policy,
      version: delivered.version ?? this.snapshot.version + 1,
      hash,
      // The parse's own fresh array, seen by nobody else: frozen in place, not copied (100,000 entries).
      entries: Object.freeze(parsed.entries),
      warnings: Object.freeze([...parsed.warnings]),
      loadedAt: Date.now(),
    });
    // The swap: one reference assignment (docs/allowlist.md, reload scenarios row 22), as the file watcher does.
    this.snapshot = snapshot;
    this.applied = true;
    this.reloads.applied();
    const event: AllowlistEvent = { type: 'reloaded', snapshot, forced: force };
    this.emit(event);
    if (wasDown) this.emit({ type: 'recovered', snapshot });
    return event;
  }

  /**
   * Rejects a version for a reason the parser cannot see (a content hash that does not match):
   * reported like a version with errors, and the last good version stays.
   */
  protected reject(errors: readonly AllowlistIssue[], hash: string): Promise<AllowlistEvent> {
    const run = this.chain.then(() => {
      this.reloads.lastReloadAt = Date.now();
      return this.rejectNow(errors, hash);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private rejectNow(errors: readonly AllowlistIssue[], hash: string): AllowlistEvent {
    // Rejected whole: the last good version stays (fail closed, never half a list).
    const event = this.reloads.rejected(errors, hash);
    this.emit(event);
    return event;
  }

  /**
   * The source cannot be reached: decisions go on with the last good version; the status says
   * since when it is stale. Emits `unreachable` once per outage.
   */
  protected markUnreachable(message: string): AllowlistEvent {
    const since = this.staleSince ?? Date.now();
    const first = this.staleSince === undefined;
    this.staleSince = since;
    this.reloads.lastReloadResult = 'unreachable';
    this.reloads.lastReadError = { code: 'CG_ALLOWLIST_UNREACHABLE', message };
    const event: AllowlistEvent = { type: 'unreachable', message, since };
    if (first) this.emit(event);
    return event;
  }

  /** The source answers again; the caller then fetches the version (`refresh`). */
  protected markReachable(): void {
    this.staleSince = undefined;
    if (this.reloads.lastReadError?.code === 'CG_ALLOWLIST_UNREACHABLE')
      this.reloads.lastReadError = undefined;
  }

  /** A source whose list does not exist yet (nothing pushed): the last good version stays. */
  protected markMissing(message: string): AllowlistEvent {
    this.reloads.lastReloadAt = Date.now();
    const first = this.reloads.lastReloadResult !== 'missing';
    this.reloads.lastReloadResult = 'missing';
    this.reloads.lastReadError = { code: 'CG_ALLOWLIST_MISSING', message };
    const event: AllowlistEvent = { type: 'missing', message };
    if (first) this.emit(event);
    return event;
  }

  private async parse(text: string | Uint8Array): Promise<ParsedAllowlistResult> {
    // The read and the sha256 just before (a few ms for a 100,000-line list) used this turn of
    // the event loop: the parse's first slice starts in a turn of its own.
    await new Promise((resolve) => setImmediate(resolve));
    return parseAllowlistAsync(text, {
      config: this.config,
      ...(this.sliceBudgetMs === undefined ? {} : { sliceBudgetMs: this.sliceBudgetMs }),
      // As the file watcher: setImmediate costs no timer granularity between slices.
      yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
    });
  }

  protected emit(event: AllowlistEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener (a logger, a metrics hook) never stops a source.
      }
    }
  }
}
