/**
 * The allowlist file format (QRadar's `allowed_origins.list`, with every rule it left open written
 * down; see docs/allowlist.md):
 * - UTF-8, an optional BOM, LF or CRLF line ends;
 * - one entry a line, surrounding white space trimmed;
 * - blank lines and lines whose first non-blank character is `#` are ignored.
 *
 * Every entry goes through the engine (`createPolicy` / `parseOriginPattern`), so the codes,
 * messages and suggestions are the ones the configuration API, the CLI and the logs report: one
 * source. This module only maps an issue's `['origins', i]` path to a line and column.
 *
 * Pure: no `node:*` imports, so it runs wherever the engine runs.
 */

import { type ConfigIssue, CorsConfigError, ISSUE_CODES, type IssueCode } from '../engine/errors.js';
import { parseOriginPattern } from '../engine/pattern.js';
import {
  type CorsConfig,
  type CorsConfigWithoutOrigins,
  type CreatePolicyAsyncOptions,
  createPolicy,
  createPolicyAsync,
  DEFAULT_SLICE_BUDGET_MS,
  type Policy,
} from '../engine/policy.js';
import { excerpt, formatProblem, locationOf } from '../engine/problem.js';
import type { AllowlistEntry, AllowlistIssue, ParsedAllowlist } from './types.js';

/** What `parseAllowlist` returns: the contract's `ParsedAllowlist`, plus the compiled policy. */
export interface ParsedAllowlistResult extends ParsedAllowlist {
  /** The compiled policy when there is no error; undefined otherwise. Saves a second compile. */
  readonly policy: Policy | undefined;
}

/** One non-blank, non-comment line. */
export interface RawAllowlistLine {
  /** The trimmed entry text. */
  readonly text: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units of the line (after the BOM). */
  readonly column: number;
}

const BOM = '\uFEFF';

/**
 * The entry lines of a file as parallel arrays, index for index: no object per line, since a
 * 100,000-line list would otherwise allocate 100,000 of them only to read them back once
 * (bench/allowlist/RESULTS.md). `texts` goes to the engine as the `origins` array as it is.
 */
interface SplitLines {
  /** The trimmed entry texts. */
  readonly texts: string[];
  /** 1-based line numbers. */
  readonly lines: number[];
  /** 1-based columns, in UTF-16 code units of the line (after the BOM). */
  readonly columns: number[];
}

/** Splits the text into entry lines: BOM, LF/CRLF, trimming, blank and `#` lines per the format. */
export function splitAllowlist(text: string): RawAllowlistLine[] {
  const { texts, lines, columns } = drain(splitSteps(text));
  return texts.map((t, i) => ({ text: t, line: lines[i]!, column: columns[i]! }));
}

/** Lines between two chances to yield, in the sliced steps below (a fraction of a ms each). */
const SLICE_LINES = 5000;

function* splitSteps(text: string): Generator<void, SplitLines, void> {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  const out: SplitLines = { texts: [], lines: [], columns: [] };
  let start = 0;
  let line = 1;
  while (start <= body.length) {
    if (line % SLICE_LINES === 0) yield;
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const raw = body.slice(start, end);
    const trimmed = raw.trim();
    if (trimmed.length > 0 && trimmed.charCodeAt(0) !== 0x23 /* # */) {
      out.texts.push(trimmed);
      out.lines.push(line);
      // Most lines have no leading white space: skip the second trim for them.
      out.columns.push(
        raw.charCodeAt(0) === trimmed.charCodeAt(0) ? 1 : raw.length - raw.trimStart().length + 1,
      );
    }
    start = end + 1;
    line++;
  }
  return out;
}

/** Runs a sliced step to the end at once. */
function drain<T>(steps: Generator<void, T, void>): T {
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/** Runs a sliced step, giving the event loop a turn whenever a slice has used its budget. */
async function drainAsync<T>(steps: Generator<void, T, void>, slicing: Slicing): Promise<T> {
  let step = steps.next();
  while (step.done !== true) {
    if (slicing.now() - slicing.sliceStart >= slicing.budget) {
      await slicing.yieldNow();
      slicing.sliceStart = slicing.now();
    }
    step = steps.next();
  }
  return step.value;
}

interface Slicing {
  readonly budget: number;
  readonly yieldNow: () => Promise<void>;
  readonly now: () => number;
  /** When the current slice began: shared by the phases, so a slice spans their boundaries. */
  sliceStart: number;
}

/**
 * Decodes the file's bytes as UTF-8 (fatal: a wrong byte is an error, never a U+FFFD that could
 * turn into a different host). Returns the text, or the 1-based line and column of the first bad
 * byte.
 */
export function decodeAllowlist(
  bytes: Uint8Array,
): { ok: true; text: string } | { ok: false; line: number; column: number } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const before = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, bad));
    return { ok: false, line, column: before.length + 1 };
  }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

function fileIssue(
  code: IssueCode,
  line: number,
  column: number,
  text: string,
  reason: string,
): AllowlistIssue {
  return { code, severity: ISSUE_CODES[code].severity, line, column, text, message: `corsgate: ${reason}` };
}

/** Where inside the entry the problem starts, for the codes whose position is unambiguous. */
function offsetInEntry(code: IssueCode, text: string): number {
  const sep = text.indexOf('://');
  if (sep < 0) return 0;
  const afterScheme = sep + 3;
  const rest = text.slice(afterScheme);
  switch (code) {
    case 'CG_ORIGIN_HAS_PATH': {
      const at = rest.search(/[/?#]/);
      return at < 0 ? 0 : afterScheme + at;
    }
    case 'CG_ORIGIN_HAS_USERINFO':
      return afterScheme;
    case 'CG_ORIGIN_INVALID_PORT': {
      const at = rest.lastIndexOf(':');
      return at < 0 ? 0 : afterScheme + at + 1;
    }
    default:
      return 0;
  }
}

/**
 * Parses and validates an allowlist file as a whole.
 * @param input the file's text, or its bytes (then invalid UTF-8 is reported with its position)
 * @param options the rest of the policy (`credentials` changes which entries are refused)
 * @example
 * const { entries, warnings, errors, policy } = parseAllowlist('https://app.example.com\n');
 */
export function parseAllowlist(
  input: string | Uint8Array,
  options: CorsConfigWithoutOrigins = {},
): ParsedAllowlistResult {
  const text = decodeInput(input);
  if (typeof text !== 'string') return text;
  return parseSplit(drain(splitSteps(text)), options);
}

/** Options of `parseAllowlistAsync`: the rest of the policy, and how to slice the work. */
export interface ParseAllowlistAsyncOptions extends CreatePolicyAsyncOptions {
  /** The rest of the policy (`credentials` changes which entries are refused). Default `{}`. */
  readonly config?: CorsConfigWithoutOrigins;
}

const macrotask = (): Promise<void> => new Promise((resolve) => globalThis.setTimeout(resolve, 0));
const defaultNow: () => number =
  typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : Date.now;

/**
 * `parseAllowlist` in slices: the same result, but splitting, compiling (`createPolicyAsync`) and
 * mapping issues to lines give the event loop a turn whenever a slice has run for
 * `sliceBudgetMs`, so reloading a 100,000-line file never stalls a server for the whole parse.
 * The watcher uses it. Decoding the bytes is one step (a few ms for 100,000 lines).
 * @param input the file's text, or its bytes (then invalid UTF-8 is reported with its position)
 * @param options `config` (default `{}`), `sliceBudgetMs` (default 4), `yieldToEventLoop`
 *   (default a zero-delay `setTimeout`), `now` (default `performance.now`)
 * @example
 * const { entries, errors, policy } = await parseAllowlistAsync(bytes, { config: { credentials: true } });
 */
export async function parseAllowlistAsync(
  input: string | Uint8Array,
  options: ParseAllowlistAsyncOptions = {},
): Promise<ParsedAllowlistResult> {
  const now = options.now ?? defaultNow;
  const slicing: Slicing = {
    budget: options.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS,
    yieldNow: options.yieldToEventLoop ?? macrotask,
    now,
    sliceStart: now(),
  };
  const text = decodeInput(input);
  if (typeof text !== 'string') return text;
  // Decoding is one step (a few ms for 4 MB): when it used up the slice, split in a new one.
  if (now() - slicing.sliceStart >= slicing.budget) {
    await slicing.yieldNow();
    slicing.sliceStart = now();
  }
  const lines = await drainAsync(splitSteps(text), slicing);
  const config = { ...options.config, origins: lines.texts } as CorsConfig;
  let compiled: { policy: Policy | undefined; issues: readonly ConfigIssue[] };
  try {
    const policy = await createPolicyAsync(config, {
      sliceBudgetMs: slicing.budget,
      yieldToEventLoop: slicing.yieldNow,
      now,
    });
    compiled = { policy, issues: policy.warnings };
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    compiled = { policy: undefined, issues: err.issues };
  }
  slicing.sliceStart = now();
  return drainAsync(mapSteps(lines, compiled.policy, compiled.issues), slicing);
}

/** The text, or the result that reports bytes that are not UTF-8. */
function decodeInput(input: string | Uint8Array): string | ParsedAllowlistResult {
  if (typeof input === 'string') return input;
  const decoded = decodeAllowlist(input);
  if (decoded.ok) return decoded.text;
  return {
    entries: [],
    warnings: [],
    errors: [
      fileIssue(
        'CG_ALLOWLIST_INVALID_UTF8',
        decoded.line,
        decoded.column,
        '',
        `line ${decoded.line} is not valid UTF-8 at column ${decoded.column}; save the file as UTF-8`,
      ),
    ],
    policy: undefined,
  };
}

/** The second half of `parseAllowlist`, for callers that split the file themselves. */
export function parseLines(
  lines: readonly RawAllowlistLine[],
  options: CorsConfigWithoutOrigins = {},
): ParsedAllowlistResult {
  return parseSplit(
    {
      texts: lines.map((l) => l.text),
      lines: lines.map((l) => l.line),
      columns: lines.map((l) => l.column),
    },
    options,
  );
}

function parseSplit(lines: SplitLines, options: CorsConfigWithoutOrigins): ParsedAllowlistResult {
  // The engine only reads the array (its normalised origins are an array of its own).
  const origins = lines.texts;
  let policy: Policy | undefined;
  let issues: readonly ConfigIssue[];
  try {
    // One compile: the engine validates every entry and the policy-level refusals (credentials,
    // null, insecure, public-suffix wildcards) and reports duplicates and redundancy.
    policy = createPolicy({ ...options, origins } as CorsConfig);
    issues = policy.warnings;
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    issues = err.issues;
  }
  return drain(mapSteps(lines, policy, issues));
}

/** Maps the engine's issues (by `['origins', i]`) and normalised entries back to lines. */
function* mapSteps(
  lines: SplitLines,
  policy: Policy | undefined,
  issues: readonly ConfigIssue[],
): Generator<void, ParsedAllowlistResult, void> {
  const { texts, lines: lineNumbers, columns } = lines;
  const warnings: AllowlistIssue[] = [];
  const errors: AllowlistIssue[] = [];
  const skipped = new Set<number>();
  let done = 0;
  for (const found of issues) {
    if (++done % SLICE_LINES === 0) yield;
    const index = found.path[0] === 'origins' && typeof found.path[1] === 'number' ? found.path[1] : -1;
    const at = texts[index];
    if (found.severity === 'error' || found.code === 'CG_ORIGIN_DUPLICATE') skipped.add(index);
    // Issues outside the list (a wrong `credentials` type, `privateNetwork` with `*`) belong to
    // the rest of the configuration: line 0.
    const mapped: AllowlistIssue = {
      code: found.code,
      severity: found.severity,
      line: at === undefined ? 0 : lineNumbers[index]!,
      column: at === undefined ? 0 : columns[index]! + offsetInEntry(found.code, at),
      // An error's line may not be an origin at all (a secret file behind a symlink): echo only an excerpt.
      text: found.severity === 'error' ? excerpt(at ?? '') : (at ?? ''),
      // The engine names other entries by config path; a file's reader thinks in lines.
      message: found.reason.replace(/origins\[(\d+)\]/g, (m, i: string) => {
        const other = lineNumbers[Number(i)];
        return other === undefined ? m : `line ${other}`;
      }),
      ...(found.suggestion === undefined ? {} : { suggestion: found.suggestion }),
    };
    (found.severity === 'error' ? errors : warnings).push(mapped);
  }
  const byLine = (a: AllowlistIssue, b: AllowlistIssue) => a.line - b.line || a.column - b.column;
  errors.sort(byLine);
  warnings.sort(byLine);
  const entries = yield* entrySteps(lines, policy, skipped);
  const anyAt = texts.indexOf('*');
  // With credentials `*` is already an error (CG_ORIGIN_ANY_WITH_CREDENTIALS); without them it is
  // valid but lets every site read every response: fine only for a public API (docs/errors.md).
  if (anyAt >= 0 && !skipped.has(anyAt)) {
    warnings.push({
      ...fileIssue(
        'CG_ALLOWLIST_ANY_ORIGIN',
        lineNumbers[anyAt]!,
        columns[anyAt]!,
        '*',
        'the list holds *: every site on the web can read the responses; fine only for a public API that needs no credentials and serves nothing private',
      ),
      suggestion: 'list the origins that should read it instead',
    });
    warnings.sort(byLine);
  }
  if (texts.length === 0) {
    warnings.push(
      fileIssue(
        'CG_ALLOWLIST_EMPTY',
        1,
        1,
        '',
        'the allowlist has no entries, so no cross-origin caller is allowed (an empty file never means "everyone"; write * for that)',
      ),
    );
  }
  return { entries, warnings, errors, policy: errors.length === 0 ? policy : undefined };
}

/** The kept entries with their normalised text and line, in file order. */
function* entrySteps(
  lines: SplitLines,
  policy: Policy | undefined,
  skipped: ReadonlySet<number>,
): Generator<void, AllowlistEntry[], void> {
  const { texts, lines: lineNumbers } = lines;
  const entries: AllowlistEntry[] = [];
  // `config()` copies the arrays (a fraction of a ms for 100,000 origins); the strings are shared.
  const normalised = policy?.config().origins;
  const keptCount = texts.length - (skipped.has(-1) ? skipped.size - 1 : skipped.size);
  if (normalised !== undefined && normalised.length === keptCount) {
    let k = 0;
    for (let i = 0; i < texts.length; i++) {
      if (i % SLICE_LINES === 0 && i > 0) yield;
      if (skipped.size > 0 && skipped.has(i)) continue;
      entries.push({ origin: normalised[k++]!, line: lineNumbers[i]! });
    }
  } else {
    for (let i = 0; i < texts.length; i++) {
      if (i % SLICE_LINES === 0 && i > 0) yield;
      if (skipped.has(i)) continue;
      const parsed = parseOriginPattern(texts[i]!);
      if (parsed.ok) entries.push({ origin: parsed.text, line: lineNumbers[i]! });
    }
  }
  return entries;
}

/**
 * `FILE:LINE:COL: severity CODE message (suggestion)`: the one problem format (`formatProblem`),
 * which the CLI, the gateway's logs and its admin API all print.
 * @param file the file to name; without it the line starts at `LINE:COL`
 */
export function formatAllowlistIssue(found: AllowlistIssue, file?: string): string {
  return formatProblem({
    where: file === undefined ? `${found.line}:${found.column}` : locationOf(file, found.line, found.column),
    severity: found.severity,
    code: found.code,
    message: found.message,
    suggestion: found.suggestion,
  });
}
