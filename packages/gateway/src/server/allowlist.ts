/**
 * The allowlist as the gateway sees it: a source (docs/sources.md). A path is watched with
 * `watchAllowlist` from `corsgate/allowlist` (atomic swap, last good version kept, changes applied
 * within 100 ms however the file is written); a `redis://` or `rediss://` URL is followed with
 * `@corsgate/redis` (pub/sub, resync, slow poll, local cache). This module only picks the source;
 * a start failure rejects with the allowlist's one error type, `AllowlistError`, whose `issues` the
 * CLI prints line by line.
 */
import { isRedisSource, openRedisAllowlist } from '@corsgate/redis';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import { type AllowlistWatcher, watchAllowlist } from 'corsgate/allowlist';
import type { GatewayConfig } from '../config/types.js';

export type {
  AllowlistEntry,
  AllowlistEvent,
  AllowlistIssue,
  AllowlistSnapshot,
  AllowlistStatus,
  AllowlistWatcher,
} from 'corsgate/allowlist';
export { AllowlistError } from 'corsgate/allowlist';

/** How the source in force is reached, from the gateway's config. */
export type SourceSettings = Pick<GatewayConfig, 'allowlistCache' | 'allowlistRedis'>;

/**
 * Opens the allowlist source. A file must load at start (there is no last good version yet); a
 * Redis source starts even when Redis is down: from its cache, or not ready (`/ready` 503,
 * every origin refused) until Redis answers.
 * @throws AllowlistError when a file is missing, unreadable or invalid
 */
export async function openAllowlist(
  source: string,
  config: CorsConfigWithoutOrigins,
  settings: SourceSettings = {},
): Promise<AllowlistWatcher> {
  if (isRedisSource(source))
    return openRedisAllowlist(source, {
      config,
      ...(settings.allowlistCache === undefined ? {} : { cache: settings.allowlistCache }),
      ...settings.allowlistRedis,
    });
  return watchAllowlist(source, { config });
}

/** True once the source has a version in force (a file always does once open). */
export function sourceReady(watcher: AllowlistWatcher): boolean {
  return watcher.status().ready !== false;
}
