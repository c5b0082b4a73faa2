/**
 * The one way corsgate prints a problem, wherever it is shown (the CLI, the gateway's start-up
 * errors and logs, the admin API, `CorsConfigError` messages):
 *
 *     FILE:LINE:COL: severity CODE message (suggestion)
 *
 * the shape compilers and eslint print, so editors and CI annotate it. Where there is no line (a
 * flag, a config path, a whole file) the place stands alone: `--max-age: error CG_MAX_AGE_RANGE …`.
 * Every part is escaped: the text comes from files and requests, and must never drive a terminal.
 */

/**
 * An `error` stops a configuration (or an allowlist version) from being applied; a `warning` is
 * reported and the configuration still applies. Defined here, below the code registry
 * (`errors.ts`), which formats its issues with `formatProblem`.
 */
export type Severity = 'error' | 'warning';

/** One problem, located. */
export interface Problem {
  /** Where: `file:line:col` (see `locationOf`), a flag (`--max-age`) or a config path (`origins[3]`). */
  readonly where: string;
  readonly severity: Severity;
  readonly code: string;
  /** Why, in one sentence. A leading `corsgate: ` is dropped when printed. */
  readonly message: string;
  /** What to write instead, printed in parentheses. */
  readonly suggestion?: string | undefined;
}

/** `FILE:LINE:COL: severity CODE message (suggestion)`, escaped for a terminal. */
export function formatProblem(problem: Problem): string {
  const message = problem.message.startsWith(PREFIX) ? problem.message.slice(PREFIX.length) : problem.message;
  const hint = problem.suggestion === undefined ? '' : ` (${problem.suggestion})`;
  return escapeControlCharacters(`${problem.where}: ${problem.severity} ${problem.code} ${message}${hint}`);
}

const PREFIX = 'corsgate: ';

/** `file:line:col`, or the file alone when there is no line (line 0: the whole file). */
export function locationOf(file: string, line?: number, column?: number): string {
  if (line === undefined || line <= 0) return file;
  return column === undefined || column <= 0 ? `${file}:${line}` : `${file}:${line}:${column}`;
}

// C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional formatting
// characters (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069) that reorder what a terminal shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to escape
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * Text safe to print on a terminal: every control, line-separator and bidirectional-override
 * character becomes a visible escape (`\x1b`, `\r`, `\u202e`), so a file or a request can neither
 * move the cursor, recolour the screen nor reverse what a line appears to say.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * The most of an offending value a message repeats. Line and column already say where it is; this
 * is enough to recognise a mistyped origin, and too little to carry a key, a token or a password
 * hash whole when the "allowlist" turns out to be a secret file.
 */
export const MAX_ECHO_LENGTH = 40;

/** The value, clipped to `MAX_ECHO_LENGTH` characters (with `…` when clipped). */
export function excerpt(value: string): string {
  return value.length <= MAX_ECHO_LENGTH ? value : `${value.slice(0, MAX_ECHO_LENGTH - 1)}…`;
}

// What `JSON.stringify` leaves raw and a terminal would still obey: DEL, C1 and the same
// separators and bidirectional characters as above (it already escapes C0).
const JSON_RAW = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `JSON.stringify(value, null, 2)`, with every character a terminal would obey written as `\uXXXX`. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    JSON_RAW,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
