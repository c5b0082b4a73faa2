/**
 * corsgate: a strict CORS policy engine. Compile a configuration once with `createPolicy`, then
 * `evaluate` each request's facts into a `Decision`. Pure: no I/O, no Node.js imports.
 * @module
 */
export {
  type AcrhResult,
  MAX_ACRH_EMPTY_ELEMENTS,
  MAX_ACRH_LENGTH,
  MAX_ACRH_NAMES,
  parseAcrh,
} from './engine/acrh.js';
export {
  type Decision,
  type DecisionKind,
  REASONS,
  type ReasonCode,
  type RequestFacts,
} from './engine/decision.js';
export {
  type ConfigIssue,
  CorsConfigError,
  formatIssue,
  formatPath,
  ISSUE_CODES,
  type IssueCode,
  type Severity,
} from './engine/errors.js';
export {
  MAX_ORIGIN_LENGTH,
  parseSerializedOrigin,
  type SerializedOrigin,
  serializeOrigin,
} from './engine/origin.js';
export { type OriginPattern, type PatternResult, parseOriginPattern, patternText } from './engine/pattern.js';
export {
  type CorsConfig,
  type CorsConfigWithoutOrigins,
  type CreatePolicyAsyncOptions,
  createPolicy,
  createPolicyAsync,
  DEFAULT_SLICE_BUDGET_MS,
  MAX_MAX_AGE,
  type NormalisedCorsConfig,
  Policy,
  validateConfig,
} from './engine/policy.js';
export { isPublicSuffix } from './engine/public-suffix.js';
export { appendVary } from './engine/vary.js';
