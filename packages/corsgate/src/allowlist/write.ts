/**
 * Writing the allowlist: always a whole new file renamed over the old one, never in place, so a
 * reader (the watcher, another process) sees the old bytes or the new bytes and nothing between
 * (docs/allowlist.md, "Writing the file"; the `write-file-atomic` recipe, hand-written because
 * `corsgate` has no runtime dependencies):
 * temp file in the same directory → write → fsync → chmod/chown to the target's → rename over the
 * target → fsync the directory, so the rename itself survives a crash.
 */

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseOriginPattern } from '../engine/pattern.js';
import type { CorsConfigWithoutOrigins } from '../engine/policy.js';
import { AllowlistError, invalidAllowlistError, unusableAllowlistError, wholeFileIssue } from './errors.js';
import { decodeAllowlist, parseAllowlist } from './parse.js';
import type { AllowlistIssue } from './types.js';

/** Add and/or remove entries, keeping every other line (comments, blank lines, order) as it is. */
export interface AllowlistEdit {
  /** Appended at the end, normalised; an entry already listed (after normalisation) is skipped. */
  readonly add?: string | readonly string[];
  /** Every line whose entry normalises to the same origin is removed. */
  readonly remove?: string | readonly string[];
}

export interface WriteAllowlistOptions {
  /** The rest of the policy, used to validate the result. */
  readonly config?: CorsConfigWithoutOrigins;
  /**
   * Refuse to write a file with any error (the watcher would reject it anyway). Default true.
   */
  readonly validate?: boolean;
  /** Mode for a file that does not exist yet. Default 0o644. An existing file keeps its own. */
  readonly mode?: number;
}

export interface WriteAllowlistResult {
  readonly path: string;
  /** Entries added and removed by an edit (normalised). */
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** False when the edit changed nothing, so nothing was written. */
  readonly written: boolean;
}

/** Normalises one entry with the engine; throws an AllowlistError for an invalid one. */
function normaliseEntry(text: string): string {
  const parsed = parseOriginPattern(text.trim());
  if (!parsed.ok) {
    const issue: AllowlistIssue = {
      code: parsed.code,
      severity: 'error',
      line: 0,
      column: 0,
      text,
      message: `corsgate: ${parsed.reason}`,
      ...(parsed.suggestion === undefined ? {} : { suggestion: parsed.suggestion }),
    };
    throw new AllowlistError(parsed.code, issue.message, [issue]);
  }
  return parsed.text;
}

function normalisedOrUndefined(text: string): string | undefined {
  const parsed = parseOriginPattern(text);
  return parsed.ok ? parsed.text : undefined;
}

const toList = (v: string | readonly string[] | undefined): readonly string[] =>
  v === undefined ? [] : typeof v === 'string' ? [v] : v;

/**
 * Applies an edit to the file's text: removed lines disappear, added entries are appended, and
 * everything else (comments, blank lines, order, BOM, CRLF) is kept byte for byte.
 */
export function editAllowlistText(
  text: string,
  edit: AllowlistEdit,
): { text: string; added: string[]; removed: string[] } {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom === '' ? text : text.slice(1);
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A trailing newline leaves one empty last element; drop it and add it back when joining.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const toRemove = new Set(toList(edit.remove).map(normaliseEntry));
  const removed: string[] = [];
  const kept: string[] = [];
  const present = new Set<string>();
  for (const line of lines) {
    const trimmed = line.trim();
    const entry = trimmed === '' || trimmed.startsWith('#') ? undefined : normalisedOrUndefined(trimmed);
    if (entry !== undefined && toRemove.has(entry)) {
      removed.push(entry);
      continue;
    }
    if (entry !== undefined) present.add(entry);
    kept.push(line);
  }
  const added: string[] = [];
  for (const raw of toList(edit.add)) {
    const entry = normaliseEntry(raw);
    if (present.has(entry)) continue;
    present.add(entry);
    added.push(entry);
    kept.push(entry);
  }
  return { text: kept.length === 0 ? bom : `${bom}${kept.join(eol)}${eol}`, added, removed };
}

export interface FormatAllowlistOptions {
  /** Drop lines whose entry is already listed above (after normalisation). Default false. */
  readonly removeDuplicates?: boolean;
}

/**
 * The normalised rewrite `corsgate lint --fix` writes: every valid entry in its normalised form
 * (lower case, no trailing `/`, no default port, punycode), without surrounding white space;
 * comments, blank lines and order kept; a line with an error is left exactly as written (fixing
 * it needs a person). LF line ends, no BOM.
 */
export function formatAllowlist(text: string, options: FormatAllowlistOptions = {}): string {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      out.push(trimmed === '' ? '' : line.trimEnd());
      continue;
    }
    const entry = normalisedOrUndefined(trimmed);
    if (entry === undefined) {
      out.push(line);
      continue;
    }
    if (options.removeDuplicates && seen.has(entry)) continue;
    seen.add(entry);
    out.push(entry);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Writes via the real file when `path` is a symlink (the link stays a link), as write-file-atomic does. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw err;
  }
}

/** Per-path queue: two edits in one process never read the same old text and lose one write. */
const queues = new Map<string, Promise<unknown>>();
function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

/**
 * Replaces `path` with `data` atomically: a temporary file in the same directory (so the rename
 * never crosses a filesystem), fsync, the target's mode and owner, rename, fsync of the directory.
 * On any failure the temporary file is removed and the target is untouched.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const target = await resolveTarget(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let existing: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = await stat(target);
    existing = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const fileMode = existing?.mode ?? mode ?? 0o644;
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, fileMode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open() applies the umask; set the mode the target had exactly.
    await chmod(tmp, fileMode);
    if (existing !== undefined && typeof process.getuid === 'function' && process.getuid() === 0) {
      await chown(tmp, existing.uid, existing.gid);
    }
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (err) {
    // Some filesystems and platforms cannot fsync a directory (EINVAL, EISDIR, EPERM on Windows);
    // the rename has still happened.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes the allowlist atomically.
 * - `entries` (an array): the file becomes exactly those entries, one a line.
 * - an edit (`{ add, remove }`): the current file is read and only those lines change; comments,
 *   blank lines and order stay. A file that does not exist yet starts empty.
 * The result is validated as a whole first (`validate: false` to skip): a list with an error is
 * never written, so an edit cannot break the running policy.
 * @throws AllowlistError with the issues (line numbers of the would-be file) when invalid.
 */
export function writeAllowlist(
  path: string,
  change: readonly string[] | AllowlistEdit,
  options: WriteAllowlistOptions = {},
): Promise<WriteAllowlistResult> {
  return serialise(path, async () => {
    let text: string;
    let added: string[] = [];
    let removed: string[] = [];
    let before: string | undefined;
    if (isEntryList(change)) {
      text = change.length === 0 ? '' : `${change.map((e) => e.trim()).join('\n')}\n`;
    } else {
      before = await readCurrent(path);
      ({ text, added, removed } = editAllowlistText(before, change));
      if (text === before) return { path, added, removed, written: false };
    }
    if (options.validate !== false) {
      const parsed = parseAllowlist(text, options.config);
      if (parsed.errors.length > 0)
        throw invalidAllowlistError(`refusing to write ${path}`, path, parsed.errors);
    }
    await writeFileAtomic(path, text, options.mode);
    return { path, added, removed, written: true };
  });
}

function isEntryList(change: readonly string[] | AllowlistEdit): change is readonly string[] {
  return Array.isArray(change);
}

async function readCurrent(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw unusableAllowlistError(
      'CG_ALLOWLIST_UNREADABLE',
      path,
      `cannot read it: ${(err as Error).message}`,
    );
  }
  const decoded = decodeAllowlist(bytes);
  if (!decoded.ok) {
    const found: AllowlistIssue = {
      ...wholeFileIssue('CG_ALLOWLIST_INVALID_UTF8', 'the file is not valid UTF-8 here; refusing to edit it'),
      line: decoded.line,
      column: decoded.column,
    };
    throw invalidAllowlistError(`refusing to edit ${path}`, path, [found]);
  }
  return decoded.text;
}
