/**
 * What a source repeats of a rejected version (docs/allowlist.md "What a rejected version
 * shows"): its problems go to `status().lastErrors`, the `rejected` event, the gateway's
 * `/allowlist` and its log, read by more people than the file. When the "allowlist" is a secret
 * file behind a symlink (a key, a `.env`, a password hash), every line is an error, and each would
 * be echoed. So a source reports at most `MAX_REPORTED_ERRORS` problems (then one line saying how
 * many more), and a line that does not even look like an entry (no `http://`, `https://`, `*`) is
 * echoed as its first `SHORT_ECHO_LENGTH` characters only, without the suggestion derived from it.
 * `corsgate lint FILE`, run by whoever can read the file, still shows every problem in full.
 */
import type { AllowlistIssue } from './types.js';

/** The most problems of one rejected version a source reports. */
export const MAX_REPORTED_ERRORS = 20;
/** The most of a line that does not look like an entry a source repeats. */
export const SHORT_ECHO_LENGTH = 12;

const LOOKS_LIKE_ENTRY = /^(?:https?:\/\/|\*)/i;

function shortEcho(text: string): string {
  return text.length <= SHORT_ECHO_LENGTH ? text : `${text.slice(0, SHORT_ECHO_LENGTH)}…`;
}

/** One problem as a source reports it: clipped hard unless its line looks like an entry. */
function clipped(issue: AllowlistIssue): AllowlistIssue {
  if (issue.text === '' || LOOKS_LIKE_ENTRY.test(issue.text)) return issue;
  const text = shortEcho(issue.text);
  // The engine's message quotes the line (already an excerpt); the suggestion is derived from it.
  const { suggestion: _derived, ...rest } = issue;
  return { ...rest, text, message: issue.message.split(issue.text).join(text) };
}

/** The problems of a rejected version as a source reports them: bounded in number and in echo. */
export function reportedErrors(errors: readonly AllowlistIssue[]): AllowlistIssue[] {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS).map(clipped);
  const more = errors.length - shown.length;
  if (more > 0) {
    shown.push({
      code: 'CG_ALLOWLIST_ERRORS_OMITTED',
      severity: 'error',
      line: 0,
      column: 0,
      text: '',
      message: `corsgate: ${more} more error${more === 1 ? '' : 's'} not shown (a source reports the first ${MAX_REPORTED_ERRORS}); corsgate lint FILE shows them all`,
    });
  }
  return shown;
}
