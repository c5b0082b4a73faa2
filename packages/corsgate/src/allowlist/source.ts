/**
 * What every allowlist source shares (docs/allowlist.md "Sources", docs/sources.md): a source
 * only learns of versions of the list (the file format, comments included) and delivers them; this
 * base validates each one in slices, swaps the compiled snapshot whole, keeps the last good version
 * when one has errors or when the source cannot be read or reached, and reports all of it through
 * `status()` and `on()`. The file watcher (`watchAllowlist`), the programmatic store
 * (`createAllowlistStore`) and the Redis source (`@corsgate/redis`) are built on it, so they answer
 * alike; an application can build its own the same way.
 */
import type { CorsConfigWithoutOrigins } from '../engine/policy.js';
import { createPolicy } from '../engine/policy.js';
import { reportedErrors } from './echo.js';
import { allowlistHash } from './hash.js';
import { type ParsedAllowlistResult, parseAllowlistAsync } from './parse.js';
import { ReloadRecord } from './reloads.js';
import type {
  AllowlistEvent,
  AllowlistIssue,
  AllowlistSnapshot,
  AllowlistSourceKind,
  AllowlistStatus,
  AllowlistWaiting,
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

/** What a source may add to one apply (the file watcher: its parse made ahead, its quiet period). */
export interface AllowlistApplySteps {
  /** A parse of exactly these bytes made earlier (the watcher's parse ahead). */
  readonly parsed?: Promise<ParsedAllowlistResult>;
  /**
   * Asked after the parse, right before the swap: true puts the version off (nothing is recorded,
   * the outcome is `unchanged`); the source delivers it again later.
   */
  readonly putOff?: () => Promise<boolean>;
}

/**
 * The base of a source. A subclass calls `apply` with every version it learns of, `markMissing` /
 * `markUnreadable` when it cannot read one, `markUnreachable` / `markReachable` as its connection
 * comes and goes; it implements `refresh` (fetch the version now) and `stop` (release what it holds).
 *
 * The outcomes, the same for every source (docs/sources.md "One state machine"):
 * - a new valid version: `reloaded` (and `recovered` after a failure);
 * - the version in force again: `unchanged`, recorded and emitted only when forced or after a failure;
 * - a version with an error: `rejected`, the last good version stays;
 * - the same rejected version again: `rejected` again (the version is still refused), with the same
 *   errors, without a second event or count; a forced reload reports it again;
 * - nothing to read: `missing` / `unreadable` / `unreachable`, once per outage, the last good version stays.
 */
export abstract class AllowlistSourceBase implements AllowlistWatcher {
  protected readonly config: CorsConfigWithoutOrigins;
  private readonly sliceBudgetMs: number | undefined;
  private snapshot: AllowlistSnapshot;
  private applied = false;
  private staleSince: number | undefined;
  private waitingFor: AllowlistWaiting | undefined;
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
      ...(this.waitingFor === undefined ? {} : { waiting: this.waitingFor }),
      snapshot: this.snapshot,
      ...this.reloads.status(),
      mode: this.currentMode(),
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

  /** How the source learns of versions, for `status().mode`; the file watcher's changes at run time. */
  protected currentMode(): AllowlistStatus['mode'] {
    return this.mode;
  }

  /**
   * Validates and applies one version (the outcomes are listed above). Versions apply in delivery
   * order; `force` re-reports a version already known.
   */
  protected apply(
    version: AllowlistVersion,
    force = false,
    steps: AllowlistApplySteps = {},
  ): Promise<AllowlistEvent> {
    const run = this.chain.then(() => this.applyNow(version, force, steps));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** True when content with this hash needs no parse: it is in force, or it is the one just rejected. */
  protected isKnown(hash: string): boolean {
    return (this.applied && hash === this.snapshot.hash) || this.reloads.rejectedAgain(hash);
  }

  private async applyNow(
    delivered: AllowlistVersion,
    force: boolean,
    steps: AllowlistApplySteps,
  ): Promise<AllowlistEvent> {
    if (this.closed) return { type: 'unchanged', forced: force };
    const hash = delivered.hash ?? allowlistHash(delivered.text);
    const wasDown = this.isDown();
    const sameVersion = delivered.version === undefined || delivered.version === this.snapshot.version;
    if (this.applied && hash === this.snapshot.hash && sameVersion) return this.sameAgain(force, wasDown);
    if (this.reloads.rejectedAgain(hash) && !force)
      return { type: 'rejected', errors: this.reloads.lastErrors };
    const parsed = await (steps.parsed ?? this.parseVersion(delivered.text));
    if (this.closed) return { type: 'unchanged', forced: force };
    // The source's last check right before the swap (the watcher: a write during the parse).
    if (steps.putOff !== undefined && (await steps.putOff())) return { type: 'unchanged', forced: force };
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
    // The swap: one reference assignment. A request that read `current` before keeps its whole old
    // snapshot; every later read sees the whole new one (docs/allowlist.md, reload scenarios row 22).
    this.snapshot = snapshot;
    this.reloads.applied(!this.applied);
    this.applied = true;
    const event: AllowlistEvent = { type: 'reloaded', snapshot, forced: force };
    this.emit(event);
    if (wasDown) this.emit({ type: 'recovered', snapshot });
    return event;
  }

  /** The last outcome was a failure: the next good version (or the same one back) is a recovery. */
  private isDown(): boolean {
    const last = this.reloads.lastReloadResult;
    return last !== 'applied' && last !== 'unchanged';
  }

  /**
   * The version in force came again (`touch`, an identical rewrite, a file put back, a periodic
   * check): no version bump. A silent no-op is not worth recording; a forced one, or the version
   * coming back after a failure, is.
   */
  private sameAgain(force: boolean, wasDown: boolean): AllowlistEvent {
    if (force || wasDown) this.reloads.unchanged();
    const event: AllowlistEvent = { type: 'unchanged', forced: force };
    if (force) this.emit(event);
    if (wasDown) this.emit({ type: 'recovered', snapshot: this.snapshot });
    return event;
  }

  /**
   * Rejects a version for a reason the parser cannot see (a stored record that is not corsgate's,
   * a content hash that does not match): reported like a version with errors (the same one again is
   * rejected again, silently), and the last good version stays.
   */
  protected reject(errors: readonly AllowlistIssue[], hash: string, force = false): Promise<AllowlistEvent> {
    const run = this.chain.then((): AllowlistEvent => {
      if (this.reloads.rejectedAgain(hash) && !force)
        return { type: 'rejected', errors: this.reloads.lastErrors };
      return this.rejectNow(errors, hash);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private rejectNow(errors: readonly AllowlistIssue[], hash: string): AllowlistEvent {
    // Rejected whole: the last good version stays (fail closed, never half a list).
    // Bounded in number and in echo: the "list" may be a secret file (echo.ts).
    const event = this.reloads.rejected(reportedErrors(errors), hash);
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

  /**
   * There is no version to read (a deleted file, nothing pushed yet): the last good version stays.
   * Emits `missing` once per outage, or again when forced.
   * @param message for the status (`lastReadError`)
   * @param eventMessage for the event and the log; defaults to `message`
   */
  protected markMissing(message: string, eventMessage = message, force = false): AllowlistEvent {
    const first = this.reloads.lastReloadResult !== 'missing';
    this.reloads.failed('missing', 'CG_ALLOWLIST_MISSING', message);
    const event: AllowlistEvent = { type: 'missing', message: eventMessage };
    if (first || force) this.emit(event);
    return event;
  }

  /**
   * The version exists but cannot be read (permissions, a directory in the file's place, I/O): the
   * last good version stays. Emits `unreadable` once per outage, or again when forced.
   * @param code the system's code (`EACCES`, `EISDIR`), carried by the event
   */
  protected markUnreadable(
    code: string,
    message: string,
    eventMessage = message,
    force = false,
  ): AllowlistEvent {
    const first = this.reloads.lastReloadResult !== 'unreadable';
    this.reloads.failed('unreadable', 'CG_ALLOWLIST_UNREADABLE', message);
    const event: AllowlistEvent = { type: 'unreadable', code, message: eventMessage };
    if (first || force) this.emit(event);
    return event;
  }

  /**
   * A version was read but is held back (the usual signs of a half-written file, docs/allowlist.md
   * "The partial-write rule"): `status().waiting` says so until it applies or is dropped.
   */
  protected markWaiting(waiting: AllowlistWaiting | undefined): void {
    this.waitingFor = waiting;
  }

  /** Parses and compiles in slices, yielding to the event loop between them. */
  protected async parseVersion(text: string | Uint8Array): Promise<ParsedAllowlistResult> {
    // The read and the sha256 just before (a few ms for a 100,000-line list) used this turn of
    // the event loop: the parse's first slice starts in a turn of its own.
    await new Promise((resolve) => setImmediate(resolve));
    return parseAllowlistAsync(text, {
      config: this.config,
      ...(this.sliceBudgetMs === undefined ? {} : { sliceBudgetMs: this.sliceBudgetMs }),
      // setImmediate runs right after I/O callbacks: the yield costs no timer granularity (≥ 1 ms
      // for setTimeout(0)), and requests that arrived meanwhile are served first.
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
