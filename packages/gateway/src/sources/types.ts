/**
 * The one interface the gateway and the CLI hold an allowlist source by (docs/sources.md "Kinds of
 * source"): open it (the live, validated version in force), pull its text, push a whole text or an
 * edit as one version (compare-and-set on an expected version where the kind has versions), the
 * admin's writer, the fleet's refused-origin counts, and the audit sink. Nothing outside this folder
 * asks which kind it holds; a new kind is one new file here (`registry.ts` lists them).
 */
import type { FleetDenied } from '@corsgate/redis';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import type { AllowlistEdit, AllowlistWatcher } from 'corsgate/allowlist';

/** How a live source is opened: the rest of the policy, and what only some kinds use. */
export interface OpenSettings {
  /** A local copy of the last good version, for a start while the shared store is down. */
  readonly cache?: string | undefined;
  /** Poll, command and start timeouts (ms) of a networked source; absent ones take the defaults. */
  readonly tuning?:
    | {
        readonly pollIntervalMs?: number | undefined;
        readonly commandTimeoutMs?: number | undefined;
        readonly startTimeoutMs?: number | undefined;
      }
    | undefined;
}

/** The text a source holds, as its bytes (checked for UTF-8 by whoever parses them). */
export interface StoredList {
  readonly bytes: Uint8Array;
  /** The source's own version number; absent for a kind without versions (a file). */
  readonly version?: number;
  /** sha256 of the bytes, hex. */
  readonly hash: string;
  /** When it was stored (epoch ms), for a kind that records it. */
  readonly updatedAt?: number;
}

export interface WriteOptions {
  /** The rest of the policy the list is linted with (`credentials` refuses `*`, `http://`…). */
  readonly config?: CorsConfigWithoutOrigins;
  /** Compare-and-set: write only if this is still the source's version (0: only if none is). */
  readonly expectVersion?: number;
}

export interface WriteResult {
  /** The version stored after the write, for a kind with versions. */
  readonly version?: number;
  readonly hash: string;
  /** False when the list was already exactly this text (no new version). */
  readonly written: boolean;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** The text the admin writes are computed from, with how it stands against the version in force. */
export interface ListText {
  readonly text: string;
  /** The version the write expects the source to hold (the source's own, or the one in force). */
  readonly version: number;
  /** sha256 of the text as the source holds it. */
  readonly hash: string;
  /** False when the source holds a text that is not (yet) the version in force (a rejected edit). */
  readonly inForce: boolean;
  /** The version this node has in force. */
  readonly versionInForce: number;
  /**
   * True when the source holds no text while this node has a version in force (the file deleted,
   * Redis restarted without persistence): a write computed from it would start from an empty list
   * (docs/console.md "When the source has lost its text").
   */
  readonly lost: boolean;
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

/** The admin's writer: a compare-and-set on the source, answered once this node applied the version. */
export interface ListStore {
  read(): Promise<ListText>;
  /**
   * Replaces the list with `text` when the source still holds `base` (and, given `expected`, the
   * version in force is that one); resolves with the version that applied. A kind whose audit
   * trail the fleet shares (Redis) stores `audit` in the same step as the version.
   * @throws VersionConflict
   */
  compareAndSet(
    base: ListText,
    expected: number | undefined,
    text: string,
    audit?: PendingAudit,
  ): Promise<number>;
}

/** What the audit log records of one applied change (docs/console.md "Audit"). */
export interface AuditDiff {
  /** Lines of the new text that the old one did not have (as many times as they were added). */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface AuditRecord {
  readonly at: string;
  readonly token: string;
  readonly address: string;
  readonly action: 'add' | 'remove' | 'replace' | 'promote';
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly hash: string;
  readonly diff: AuditDiff;
  /** Which node applied it, for a sink a whole fleet shares (absent in a node's own file). */
  readonly node?: string;
}

/** An audit record before the write gave it its version (docs/sources.md "One audit trail"). */
export type PendingAudit = Omit<AuditRecord, 'toVersion' | 'node'>;

/**
 * Where applied changes are recorded. The file sink is one node's bounded JSON-lines file; a sink
 * a fleet shares (a Redis stream, docs/sources.md "Audit sinks") implements the same two methods,
 * names the node in each record, and keeps the file as a copy.
 */
export interface AuditSink {
  /** Records one applied change; resolves once it is stored. */
  append(record: AuditRecord): Promise<void>;
  /** The newest `limit` records, newest first. */
  list(limit: number): Promise<AuditRecord[]>;
  /** Releases what the sink holds (a connection); the file sink holds nothing. */
  close(): Promise<void>;
}

/** One allowlist source, by its address: everything the gateway and the CLI do with it. */
export interface ListSource {
  /** The kind's name, as `/allowlist` reports it (`file`, `redis`). */
  readonly kind: string;
  /** The address in force: an absolute path, or the URL as given. */
  readonly address: string;
  /** The address as printed (logs, errors, `/allowlist`): without any password. */
  readonly shown: string;
  /** True when `expectVersion` means something: the kind keeps version numbers (docs/cli.md). */
  readonly versioned: boolean;
  /** True when `--allowlist-cache` serves this kind (a file is its own cache). */
  readonly cacheable: boolean;
  /** The audit file when none is given: beside a file, else in the working directory. */
  defaultAuditFile(cwd: string): string;
  /**
   * The live source: validated, the last good version kept, reported through `status()`/`on()`.
   * @throws AllowlistError when the address is invalid, or when a kind that must load at start
   *   (a file) cannot.
   */
  open(config: CorsConfigWithoutOrigins, settings?: OpenSettings): Promise<AllowlistWatcher>;
  /**
   * The stored text.
   * @throws AllowlistError `CG_ALLOWLIST_MISSING` when there is none (no file, nothing pushed),
   *   `CG_ALLOWLIST_UNREADABLE`, `CG_ALLOWLIST_UNREACHABLE`, `CG_ALLOWLIST_SOURCE_INVALID`; the
   *   message says why in a few words, without the source's name or password.
   */
  pull(): Promise<StoredList>;
  /**
   * Replaces the whole list with `text` as one version; linted first.
   * @throws AllowlistError with every issue, or `CG_ALLOWLIST_CONFLICT` when `expectVersion`
   *   is not the stored version.
   */
  push(text: string, options?: WriteOptions): Promise<WriteResult>;
  /** Adds and/or removes entries as one version, keeping every other line. */
  edit(change: AllowlistEdit, options?: WriteOptions): Promise<WriteResult>;
  /** The admin's writer over `watcher`, this source's live view. */
  writer(watcher: AllowlistWatcher, config: CorsConfigWithoutOrigins): ListStore;
  /** The audit sink of the admin writes; `file` is the local file (`--audit-file`). */
  audit(file: string): AuditSink;
  /** The fleet's shared counts of refused origins, for a kind a fleet shares; else undefined. */
  fleetDenied(): FleetDenied | undefined;
}

/** A kind of source: the URL schemes it answers for, and how it builds a source for an address. */
export interface SourceKind {
  /** Lower-case schemes without the colon (`redis`, `rediss`); the file kind has none. */
  readonly schemes: readonly string[];
  /**
   * Builds the source for `address` given in directory `dir` (a path resolves against it; a URL
   * ignores it). Never throws: an invalid address fails when it is used.
   */
  create(address: string, dir: string): ListSource;
}
