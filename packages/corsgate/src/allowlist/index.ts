/**
 * `corsgate/allowlist`: the allowlist file: parse and lint it, write it atomically, and watch it
 * so that every change applies within milliseconds however the file was written; and the other
 * sources' shared base and the programmatic store (docs/sources.md).
 * @module
 */
export { AllowlistError, formatAllowlistError } from './errors.js';
export { allowlistHash } from './hash.js';
export {
  decodeAllowlist,
  formatAllowlistIssue,
  type ParseAllowlistAsyncOptions,
  type ParsedAllowlistResult,
  parseAllowlist,
  parseAllowlistAsync,
  parseLines,
  type RawAllowlistLine,
  splitAllowlist,
} from './parse.js';
export {
  type AllowlistApplySteps,
  AllowlistSourceBase,
  type AllowlistSourceOptions,
  type AllowlistVersion,
} from './source.js';
export { type AllowlistStore, type AllowlistStoreOptions, createAllowlistStore } from './store.js';
export type * from './types.js';
export {
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_HASH_EVERY_POLLS,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_QUIET_MS,
  DEFAULT_REWATCH_MS,
  DEFAULT_SETTLE_MS,
  watchAllowlist,
} from './watch.js';
export {
  type AllowlistEdit,
  editAllowlistText,
  type FormatAllowlistOptions,
  formatAllowlist,
  type WriteAllowlistOptions,
  type WriteAllowlistResult,
  writeAllowlist,
  writeFileAtomic,
} from './write.js';
