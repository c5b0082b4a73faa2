/**
 * `@corsgate/redis`: one allowlist shared by a fleet through Redis (docs/sources.md). A separate
 * package so that `corsgate` itself keeps zero runtime dependencies; middleware users install it
 * without the gateway.
 * @module
 */
export { type FleetAuditEntry, readRedisAudit } from './audit.js';
export { type AuditNote, auditStreamOf, channelOf, type StoredVersion } from './data.js';
export { FleetDenied, type FleetDeniedEntry, type FleetDeniedOptions } from './denied.js';
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_RECONNECT_MAX_MS,
  DEFAULT_START_TIMEOUT_MS,
  openRedisAllowlist,
  type RedisAllowlistOptions,
  RedisAllowlistSource,
} from './source.js';
export {
  DEFAULT_KEY,
  isRedisSource,
  parseRedisSource,
  type RedisMode,
  type RedisTarget,
  shownRedisSource,
} from './url.js';
export {
  editRedisAllowlist,
  pullRedisAllowlist,
  pushRedisAllowlist,
  type RedisWriteOptions,
  type RedisWriteResult,
} from './write.js';
