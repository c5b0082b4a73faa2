/**
 * The allowlist's one error type: thrown when a file cannot be used (missing, unreadable, invalid
 * at start) and when a write is refused. Its message and its `issues` print in the one problem
 * format (`FILE:LINE:COL: severity CODE message`), like every other problem corsgate reports.
 */
import type { IssueCode } from '../engine/errors.js';
import { formatAllowlistIssue } from './parse.js';
import type { AllowlistIssue } from './types.js';

/** A refused write, or a file that cannot be used; `code` is from the registry (docs/errors.md). */
export class AllowlistError extends Error {
  override readonly name = 'AllowlistError';
  readonly code: IssueCode;
  /** Every error, each with its line and column (none when the whole file is the problem). */
  readonly issues: readonly AllowlistIssue[];
  constructor(code: IssueCode, message: string, issues: readonly AllowlistIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}

/**
 * An allowlist with errors: the first error's code, and a message of a headline followed by every
 * error on its own line.
 * @param headline what was refused, e.g. "refusing to write origins.list"
 * @param file the file the lines belong to
 */
export function invalidAllowlistError(
  headline: string,
  file: string,
  errors: readonly AllowlistIssue[],
): AllowlistError {
  const lines = errors.map((e) => `  ${formatAllowlistIssue(e, file)}`);
  const count = `${errors.length} error${errors.length === 1 ? '' : 's'}`;
  return new AllowlistError(errors[0]!.code, `corsgate: ${headline} (${count})\n${lines.join('\n')}`, errors);
}

/** A problem with the file as a whole (missing, unreadable): an issue on line 0, column 0. */
export function wholeFileIssue(code: IssueCode, message: string): AllowlistIssue {
  return { code, severity: 'error', line: 0, column: 0, text: '', message: `corsgate: ${message}` };
}

/** A file that cannot be used at all: its one whole-file issue, and that issue as the message. */
export function unusableAllowlistError(code: IssueCode, file: string, message: string): AllowlistError {
  const found = wholeFileIssue(code, message);
  return new AllowlistError(code, `corsgate: ${formatAllowlistIssue(found, file)}`, [found]);
}

/** One line for a log or an event: a whole-file problem with `file`, in the one problem format. */
export function wholeFileProblem(code: IssueCode, file: string, message: string): string {
  return formatAllowlistIssue(wholeFileIssue(code, message), file);
}

/**
 * The error as problem lines, one per issue, for `file`; an error without issues (a bad source
 * URL, an unreachable store) is one whole-file line with its code and message.
 */
export function formatAllowlistError(error: AllowlistError, file: string): string[] {
  if (error.issues.length > 0) return error.issues.map((i) => formatAllowlistIssue(i, file));
  return [wholeFileProblem(error.code, file, error.message)];
}
