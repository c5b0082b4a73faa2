/**
 * `corsgate/allowlist`: the allowlist file: parse and lint it, write it atomically, and watch it
 * so that every change applies within milliseconds however the file was written; and the other
 * sources' shared base and the programmatic store (docs/sources.md). What it promises is listed in
 * docs/packaging.md "What each entry point promises": the watcher's timing defaults are written in
 * docs/allowlist.md, not exported; the parser's line-level steps stay in their module.
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
} from './parse.js';
export {
  type AllowlistApplySteps,
  AllowlistSourceBase,
  type AllowlistSourceOptions,
  type AllowlistVersion,
} from './source.js';
export { type AllowlistStore, type AllowlistStoreOptions, createAllowlistStore } from './store.js';
export type * from './types.js';
export { watchAllowlist } from './watch.js';
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
