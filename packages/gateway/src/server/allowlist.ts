/**
 * The allowlist as the gateway sees it: the `AllowlistWatcher` contract of `corsgate/allowlist`
 * (packages/corsgate/src/allowlist/types.ts). Until that module lands on this branch, a small
 * interim watcher below implements the same contract (fs.watch on the directory plus a hash poll,
 * atomic swap, last good version kept); `openAllowlist` is the only place to change when it does.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { CorsConfig, Policy } from 'corsgate';
import {
  type AllowlistEntry,
  type AllowlistEvent,
  type AllowlistIssue,
  type AllowlistSnapshot,
  type AllowlistStatus,
  type AllowlistWatcher,
  parseAllowlist,
} from 'corsgate/allowlist';

export type {
  AllowlistEntry,
  AllowlistEvent,
  AllowlistIssue,
  AllowlistSnapshot,
  AllowlistStatus,
  AllowlistWatcher,
};

/** Thrown at start when the file is missing or invalid: every problem, with lines. */
export class AllowlistStartError extends Error {
  readonly issues: readonly AllowlistIssue[];
  constructor(message: string, issues: readonly AllowlistIssue[]) {
    super(message);
    this.issues = issues;
  }
}

export async function openAllowlist(
  path: string,
  config: Omit<CorsConfig, 'origins'>,
): Promise<AllowlistWatcher> {
  return InterimWatcher.open(path, config);
}

interface Compiled {
  policy?: Policy;
  entries: AllowlistEntry[];
  warnings: AllowlistIssue[];
  errors: AllowlistIssue[];
}

function compile(bytes: Uint8Array, config: Omit<CorsConfig, 'origins'>): Compiled {
  const parsed = parseAllowlist(bytes, config);
  return {
    ...(parsed.policy === undefined ? {} : { policy: parsed.policy }),
    entries: [...parsed.entries],
    warnings: [...parsed.warnings],
    errors: [...parsed.errors],
  };
}

class InterimWatcher implements AllowlistWatcher {
  private snapshot: AllowlistSnapshot;
  private readonly listeners = new Set<(event: AllowlistEvent) => void>();
  private fsWatcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastHash: string;
  private lastReloadAt: number;
  private lastReloadResult: AllowlistStatus['lastReloadResult'] = 'applied';
  private lastErrors: readonly AllowlistIssue[] = [];
  private lastReadError: { code: string; message: string } | undefined;
  private reloadsApplied = 0;
  private reloadsRejected = 0;
  private reading: Promise<AllowlistEvent> | undefined;

  private constructor(
    private readonly path: string,
    private readonly config: Omit<CorsConfig, 'origins'>,
    first: AllowlistSnapshot,
  ) {
    this.snapshot = first;
    this.lastHash = first.hash;
    this.lastReloadAt = first.loadedAt;
  }

  static async open(path: string, config: Omit<CorsConfig, 'origins'>): Promise<InterimWatcher> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      throw new AllowlistStartError(`cannot read the allowlist file ${path}: ${code}`, []);
    }
    const compiled = compile(bytes, config);
    if (compiled.policy === undefined)
      throw new AllowlistStartError(`the allowlist file ${path} has errors`, compiled.errors);
    const snapshot: AllowlistSnapshot = {
      policy: compiled.policy,
      version: 1,
      hash: createHash('sha256').update(bytes).digest('hex'),
      entries: compiled.entries,
      warnings: compiled.warnings,
      loadedAt: Date.now(),
    };
    const watcher = new InterimWatcher(path, config, snapshot);
    watcher.start();
    return watcher;
  }

  private start(): void {
    const name = basename(this.path);
    try {
      // Watch the directory: atomic renames replace the file's inode.
      this.fsWatcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || String(file).startsWith(`.${name}`)) this.schedule();
      });
      this.fsWatcher.on('error', () => undefined);
    } catch {
      this.fsWatcher = undefined;
    }
    this.pollTimer = setInterval(() => this.schedule(), 1000);
    this.pollTimer.unref();
  }

  private schedule(): void {
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, 25);
    this.debounce.unref();
  }

  get current(): AllowlistSnapshot {
    return this.snapshot;
  }

  status(): AllowlistStatus {
    return {
      path: this.path,
      snapshot: this.snapshot,
      lastReloadAt: this.lastReloadAt,
      lastReloadResult: this.lastReloadResult,
      lastErrors: this.lastErrors,
      ...(this.lastReadError === undefined ? {} : { lastReadError: this.lastReadError }),
      reloadsApplied: this.reloadsApplied,
      reloadsRejected: this.reloadsRejected,
      mode: this.fsWatcher === undefined ? 'poll' : 'watch+poll',
    };
  }

  reload(options: { force?: boolean } = {}): Promise<AllowlistEvent> {
    // One read at a time; a forced reload after a running one re-reads.
    const run = async (): Promise<AllowlistEvent> => this.read(options.force === true);
    const next = (this.reading ?? Promise.resolve()).then(run, run);
    this.reading = next;
    return next;
  }

  private async read(forced: boolean): Promise<AllowlistEvent> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
      const message = `cannot read the allowlist file ${this.path}: ${code}; the last good version stays in force`;
      this.lastReadError = { code, message };
      this.lastReloadAt = Date.now();
      this.lastReloadResult = code === 'ENOENT' ? 'missing' : 'unreadable';
      this.lastHash = '';
      return this.emit(
        code === 'ENOENT' ? { type: 'missing', message } : { type: 'unreadable', code, message },
      );
    }
    const wasFailing = this.lastReadError !== undefined;
    this.lastReadError = undefined;
    const hash = createHash('sha256').update(bytes).digest('hex');
    this.lastReloadAt = Date.now();
    if (hash === this.lastHash && !forced) {
      return { type: 'unchanged', forced };
    }
    this.lastHash = hash;
    if (hash === this.snapshot.hash && !wasFailing && this.lastErrors.length === 0) {
      this.lastReloadResult = 'unchanged';
      return this.emit({ type: 'unchanged', forced });
    }
    const compiled = compile(bytes, this.config);
    if (compiled.policy === undefined) {
      this.lastErrors = compiled.errors;
      this.lastReloadResult = 'rejected';
      this.reloadsRejected++;
      return this.emit({ type: 'rejected', errors: compiled.errors });
    }
    this.lastErrors = [];
    if (hash === this.snapshot.hash) {
      this.lastReloadResult = 'unchanged';
      return this.emit(
        wasFailing ? { type: 'recovered', snapshot: this.snapshot } : { type: 'unchanged', forced },
      );
    }
    this.snapshot = {
      policy: compiled.policy,
      version: this.snapshot.version + 1,
      hash,
      entries: compiled.entries,
      warnings: compiled.warnings,
      loadedAt: Date.now(),
    };
    this.lastReloadResult = 'applied';
    this.reloadsApplied++;
    return this.emit({ type: 'reloaded', snapshot: this.snapshot, forced });
  }

  private emit(event: AllowlistEvent): AllowlistEvent {
    for (const l of this.listeners) l(event);
    return event;
  }

  on(listener: (event: AllowlistEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.fsWatcher?.close();
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.listeners.clear();
  }
}
