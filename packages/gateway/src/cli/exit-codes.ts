/** The corsgate command's exit codes: fixed, documented in docs/cli.md, and tested. */
export const EXIT = {
  /** Success; for `check`, a browser would allow the request. */
  OK: 0,
  /** For `check` and `explain`, a browser would block the request; for `lint --strict`, warnings. */
  BLOCKED: 1,
  /** For `scan`, findings at or above `--fail-on` (the same number as BLOCKED). */
  FINDINGS: 1,
  /** Bad input: arguments, configuration, allowlist errors, or an unreachable server. */
  INVALID: 2,
  /** Something unexpected: a bug. */
  UNEXPECTED: 70,
} as const;
