/**
 * The allowlist as the gateway sees it: a source (docs/sources.md). A path is watched with
 * `watchAllowlist` from `corsgate/allowlist` (atomic swap, last good version kept, changes applied
 * within 100 ms however the file is written); a `redis://` or `rediss://` URL is followed with
 * `@corsgate/redis` (pub/sub, resync, slow poll, local cache). This module only picks the source
 * and turns a start failure into one error the CLI prints line by line.
 */
import { isRedisSource, openRedisAllowlist } from '@corsgate/redis';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import {
  AllowlistError,
  type AllowlistIssue,
  type AllowlistWatcher,
  watchAllowlist,
} from 'corsgate/allowlist';
import type { GatewayConfig } from '../config/types.js';

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

/** How the source in force is reached, from the gateway's config. */
export type SourceSettings = Pick<GatewayConfig, 'allowlistCache' | 'allowlistRedis'>;

/**
 * Opens the allowlist source. A file must load at start (there is no last good version yet); a
 * Redis source starts even when Redis is down: from its cache, or not ready (`/ready` 503,
 * every origin refused) until Redis answers.
 */
export async function openAllowlist(
  source: string,
  config: CorsConfigWithoutOrigins,
  settings: SourceSettings = {},
): Promise<AllowlistWatcher> {
  try {
    if (isRedisSource(source))
      return await openRedisAllowlist(source, {
        config,
        ...(settings.allowlistCache === undefined ? {} : { cache: settings.allowlistCache }),
        ...settings.allowlistRedis,
      });
    return await watchAllowlist(source, { config });
  } catch (error) {
    if (error instanceof AllowlistError)
      throw new AllowlistStartError(error.code, error.message, error.issues);
    throw error;
  }
}

/** True once the source has a version in force (a file always does once open). */
export function sourceReady(watcher: AllowlistWatcher): boolean {
  return watcher.status().ready !== false;
}
