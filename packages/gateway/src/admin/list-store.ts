/**
 * Where admin writes go: the source in force. The file (docs/console.md "Writes"): the text
 * on disk is read, checked against the version in force, and replaced with the atomic writer
 * (temp file, fsync, rename; docs/allowlist.md "Atomic writes"); the watcher then applies it as
 * one new version. The interface is a compare-and-set on the version, which Redis has natively
 * (`RedisListStore` below).
 */
import { readFile } from 'node:fs/promises';
import { pullRedisAllowlist, pushRedisAllowlist } from '@corsgate/redis';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import type { AllowlistWatcher } from 'corsgate/allowlist';
import { AllowlistError, allowlistHash, decodeAllowlist, writeFileAtomic } from 'corsgate/allowlist';

export interface ListText {
  readonly text: string;
  /** The version in force. */
  readonly version: number;
  /** sha256 of the text as the source holds it. */
  readonly hash: string;
  /** False when the source holds a text that is not (yet) the version in force (a rejected edit). */
  readonly inForce: boolean;
}

/** A write lost to another writer: the version in force is not the one expected. */
export class VersionConflict extends Error {
  constructor(
    readonly expected: number,
    readonly current: number,
  ) {
    super(`the list is at version ${current}, not ${expected}`);
  }
}

export interface ListStore {
  read(): Promise<ListText>;
  /**
   * Replaces the list with `text` when the source still holds `base` (and, given `expected`, the
   * version in force is that one); resolves with the version that applied.
   * @throws VersionConflict
   */
  compareAndSet(base: ListText, expected: number | undefined, text: string): Promise<number>;
}

/** The repository's one content hash (corsgate/allowlist). */
const sha256 = allowlistHash;

/** Waits until the watcher's version in force has `hash`, at most `ms`. */
function appliedWithin(watcher: AllowlistWatcher, hash: string, ms: number): Promise<boolean> {
  if (watcher.current.hash === hash) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(watcher.current.hash === hash);
    }, ms);
    const off = watcher.on(() => {
      if (watcher.current.hash !== hash) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

export class FileListStore implements ListStore {
  constructor(
    readonly path: string,
    private readonly watcher: AllowlistWatcher,
  ) {}

  async read(): Promise<ListText> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new AllowlistError('CG_ALLOWLIST_UNREADABLE', `corsgate: cannot read ${this.path}`);
      bytes = new Uint8Array();
    }
    const decoded = decodeAllowlist(bytes);
    if (!decoded.ok)
      throw new AllowlistError(
        'CG_ALLOWLIST_INVALID_UTF8',
        `corsgate: line ${decoded.line} is not valid UTF-8 at column ${decoded.column}`,
      );
    const hash = sha256(bytes);
    const current = this.watcher.current;
    return { text: decoded.text, version: current.version, hash, inForce: hash === current.hash };
  }

  async compareAndSet(base: ListText, expected: number | undefined, text: string): Promise<number> {
    const now = await this.read();
    const current = this.watcher.current.version;
    // A file has no compare-and-set of its own: the check and the rename are as close together as
    // one process can put them; a hand edit in between is the one race left (docs/console.md).
    if (expected !== undefined && (expected !== current || !now.inForce))
      throw new VersionConflict(expected, current);
    if (now.hash !== base.hash) throw new VersionConflict(expected ?? base.version, current);
    await writeFileAtomic(this.path, text);
    const hash = sha256(text);
    await this.watcher.reload({ force: true });
    await appliedWithin(this.watcher, hash, 3_000);
    return this.watcher.current.version;
  }
}

/**
 * The Redis source's writer (docs/sources.md "Writing"): Redis has a compare-and-set of its own,
 * so the check and the write are one atomic step there; every node applies the new version, and
 * this one answers once it has.
 */
export class RedisListStore implements ListStore {
  constructor(
    readonly url: string,
    private readonly watcher: AllowlistWatcher,
    private readonly config: CorsConfigWithoutOrigins,
  ) {}

  async read(): Promise<ListText> {
    const stored = await pullRedisAllowlist(this.url);
    const current = this.watcher.current;
    if (stored === undefined)
      return { text: '', version: 0, hash: sha256(''), inForce: current.version === 0 };
    return {
      text: stored.text,
      version: stored.version,
      hash: stored.hash,
      inForce: stored.hash === current.hash,
    };
  }

  async compareAndSet(base: ListText, expected: number | undefined, text: string): Promise<number> {
    const current = this.watcher.current.version;
    if (expected !== undefined && expected !== current) throw new VersionConflict(expected, current);
    try {
      // The version read is the one expected in Redis: a writer in between makes this one lose.
      await pushRedisAllowlist(this.url, text, { config: this.config, expectVersion: base.version });
    } catch (error) {
      if (error instanceof AllowlistError && error.code === 'CG_ALLOWLIST_CONFLICT')
        throw new VersionConflict(expected ?? base.version, this.watcher.current.version);
      throw error;
    }
    await appliedWithin(this.watcher, sha256(text), 3_000);
    return this.watcher.current.version;
  }
}
