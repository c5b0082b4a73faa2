/**
 * The allowlist as the gateway sees it: a source (docs/sources.md "Kinds of source"), opened
 * through the one source interface (`sources/`), whichever kind the address names. A start
 * failure rejects with the allowlist's one error type, `AllowlistError`, whose `issues` the CLI
 * prints line by line.
 */
import type { CorsConfigWithoutOrigins } from 'corsgate';
import type { AllowlistWatcher } from 'corsgate/allowlist';
import type { GatewayConfig } from '../config/types.js';
import { sourceFor } from '../sources/index.js';

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
 * @throws AllowlistError when a file is missing, unreadable or invalid, or the address is invalid
 */
export function openAllowlist(
  source: string,
  config: CorsConfigWithoutOrigins,
  settings: SourceSettings = {},
): Promise<AllowlistWatcher> {
  return sourceFor(source).open(config, {
    cache: settings.allowlistCache,
    tuning: settings.allowlistRedis,
  });
}

/** True once the source has a version in force (a file always does once open). */
export function sourceReady(watcher: AllowlistWatcher): boolean {
  return watcher.status().ready !== false;
}
