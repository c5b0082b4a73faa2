/**
 * The file kind (docs/sources.md "A file"): any address without a registered scheme is a path,
 * resolved against the directory it was given in. Watched with `watchAllowlist` (atomic swap, last
 * good version kept, changes applied within 100 ms however the file is written); written whole with
 * the atomic writer (temp file, fsync, rename; docs/allowlist.md "Atomic writes"). A file has no
 * version numbers of its own: the admin's compare-and-set checks the text on disk against the
 * version in force just before the rename.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import {
  type AllowlistEdit,
  AllowlistError,
  type AllowlistWatcher,
  allowlistHash,
  decodeAllowlist,
  parseAllowlist,
  watchAllowlist,
  writeAllowlist,
  writeFileAtomic,
} from 'corsgate/allowlist';
import { invalidAllowlistError } from 'corsgate/internal';
import { AuditLog } from './audit-file.js';
import type {
  AuditSink,
  ListSource,
  ListStore,
  ListText,
  SourceKind,
  StoredList,
  WriteOptions,
  WriteResult,
} from './types.js';
import { VersionConflict } from './types.js';
import { APPLY_WAIT_MS, appliedWithin } from './writer.js';

/** The file's bytes, or the AllowlistError that says why there are none. */
async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new AllowlistError('CG_ALLOWLIST_MISSING', 'corsgate: the file does not exist');
    throw new AllowlistError(
      'CG_ALLOWLIST_UNREADABLE',
      `corsgate: cannot read the file (${code ?? (error as Error).message})`,
    );
  }
}

function decoded(bytes: Uint8Array): string {
  const text = decodeAllowlist(bytes);
  if (!text.ok)
    throw new AllowlistError(
      'CG_ALLOWLIST_INVALID_UTF8',
      `corsgate: line ${text.line} is not valid UTF-8 at column ${text.column}`,
    );
  return text.text;
}

class FileSource implements ListSource {
  readonly kind = 'file';
  readonly versioned = false;
  readonly cacheable = false;

  constructor(
    readonly address: string,
    /** The path as it was given (relative stays relative in what is printed). */
    readonly shown: string,
  ) {}

  defaultAuditFile(): string {
    return `${this.address}.audit.jsonl`;
  }

  open(config: CorsConfigWithoutOrigins): Promise<AllowlistWatcher> {
    return watchAllowlist(this.address, { config });
  }

  async pull(): Promise<StoredList> {
    const bytes = await readBytes(this.address);
    return { bytes, hash: allowlistHash(bytes) };
  }

  async push(text: string, options: WriteOptions = {}): Promise<WriteResult> {
    noVersions(options);
    const parsed = parseAllowlist(text, options.config);
    if (parsed.errors.length > 0)
      throw invalidAllowlistError(`refusing to write ${this.address}`, this.address, parsed.errors);
    const before = await readFile(this.address, 'utf8').catch(() => undefined);
    if (before !== text) await writeFileAtomic(this.address, text);
    return { hash: allowlistHash(text), written: before !== text, added: [], removed: [] };
  }

  async edit(change: AllowlistEdit, options: WriteOptions = {}): Promise<WriteResult> {
    noVersions(options);
    const result = await writeAllowlist(this.address, change, {
      ...(options.config === undefined ? {} : { config: options.config }),
    });
    const text = await readFile(this.address, 'utf8').catch(() => '');
    return {
      hash: allowlistHash(text),
      written: result.written,
      added: result.added,
      removed: result.removed,
    };
  }

  writer(watcher: AllowlistWatcher): ListStore {
    return new FileListStore(this.address, watcher);
  }

  audit(file: string): AuditSink {
    return new AuditLog(file);
  }

  fleetDenied(): undefined {
    return undefined;
  }
}

function noVersions(options: WriteOptions): void {
  if (options.expectVersion !== undefined)
    throw new AllowlistError(
      'CG_ALLOWLIST_SOURCE_INVALID',
      'corsgate: a file has no version numbers to expect',
    );
}

/** The admin's writer for a file: the text on disk, checked against the version in force, renamed over. */
class FileListStore implements ListStore {
  constructor(
    readonly path: string,
    private readonly watcher: AllowlistWatcher,
  ) {}

  async read(): Promise<ListText> {
    const current = this.watcher.current;
    let bytes: Uint8Array;
    try {
      bytes = await readBytes(this.path);
    } catch (error) {
      if (!(error instanceof AllowlistError) || error.code !== 'CG_ALLOWLIST_MISSING') throw error;
      // The file is gone but its last good version is in force: say so, never "an empty list".
      const hash = allowlistHash('');
      return {
        text: '',
        version: current.version,
        hash,
        inForce: false,
        versionInForce: current.version,
        lost: true,
      };
    }
    const hash = allowlistHash(bytes);
    return {
      text: decoded(bytes),
      version: current.version,
      hash,
      inForce: hash === current.hash,
      versionInForce: current.version,
      lost: false,
    };
  }

  async compareAndSet(base: ListText, expected: number | undefined, text: string): Promise<number> {
    const now = await this.read();
    const current = this.watcher.current.version;
    // A file has no compare-and-set of its own: the check and the rename are as close together as
    // one process can put them; a hand edit in between is the one race left (docs/console.md).
    if (expected !== undefined && (expected !== current || !now.inForce))
      throw new VersionConflict(expected, current);
    if (now.hash !== base.hash || now.lost !== base.lost)
      throw new VersionConflict(expected ?? base.version, current);
    await writeFileAtomic(this.path, text);
    await this.watcher.reload({ force: true });
    await appliedWithin(this.watcher, allowlistHash(text), APPLY_WAIT_MS);
    return this.watcher.current.version;
  }
}

/** Every address without a registered scheme: a path, resolved against `dir`. */
export const fileKind: SourceKind = {
  schemes: [],
  create: (address, dir) => new FileSource(resolve(dir, address), address),
};
