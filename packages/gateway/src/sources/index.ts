/**
 * Allowlist sources as the gateway and the CLI see them (docs/sources.md "Kinds of source"): one
 * interface, one file per kind, a registry keyed by URL scheme.
 */
export { AuditLog } from './audit-file.js';
export { resolveSource, shownSource, sourceFor } from './registry.js';
export {
  type AuditDiff,
  type AuditRecord,
  type AuditSink,
  type ListSource,
  type ListStore,
  type ListText,
  type OpenSettings,
  type PendingAudit,
  type SourceKind,
  type StoredList,
  VersionConflict,
  type WriteOptions,
  type WriteResult,
} from './types.js';
