/**
 * The allowlist as the gateway sees it: `watchAllowlist` from `corsgate/allowlist` (atomic swap,
 * last good version kept, changes applied within 100 ms however the file is written). This module
 * only turns a start failure into one error the CLI prints line by line.
 */
import type { CorsConfigWithoutOrigins } from 'corsgate';
import {
  AllowlistError,
  type AllowlistIssue,
  type AllowlistWatcher,
  watchAllowlist,
} from 'corsgate/allowlist';

export type {
  AllowlistEntry,
  AllowlistEvent,
  AllowlistIssue,
  AllowlistSnapshot,
  AllowlistStatus,
  AllowlistWatcher,
} from 'corsgate/allowlist';

/** Thrown at start when the file is missing, unreadable or invalid: every problem, with lines. */
export class AllowlistStartError extends Error {
  readonly code: string;
  readonly issues: readonly AllowlistIssue[];
  constructor(code: string, message: string, issues: readonly AllowlistIssue[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}

export async function openAllowlist(
  path: string,
  config: CorsConfigWithoutOrigins,
): Promise<AllowlistWatcher> {
  try {
    return await watchAllowlist(path, { config });
  } catch (error) {
    if (error instanceof AllowlistError)
      throw new AllowlistStartError(error.code, error.message, error.issues);
    throw error;
  }
}
