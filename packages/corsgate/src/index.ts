/**
 * corsgate: a strict CORS policy engine. Compile a configuration once with `createPolicy`, then
 * `evaluate` each request's facts into a `Decision`. Pure: no I/O, no Node.js imports.
 * This is the public API: what users need. The engine's helpers are imported by their modules
 * (and by tests from their source paths); what the gateway shares is on `corsgate/internal`.
 * @module
 */
export { MAX_ACRH_EMPTY_ELEMENTS, MAX_ACRH_LENGTH, MAX_ACRH_NAMES } from './engine/acrh.js';
export {
  type Decision,
  type DecisionKind,
  type MissingItems,
  REASONS,
  type ReasonCode,
  type RequestFacts,
} from './engine/decision.js';
export {
  type ConfigIssue,
  CorsConfigError,
  formatIssue,
  ISSUE_CODES,
  type IssueCode,
  type Severity,
} from './engine/errors.js';
export {
  type HostKind,
  MAX_ORIGIN_LENGTH,
  parseSerializedOrigin,
  type SerializedOrigin,
} from './engine/origin.js';
export {
  type OriginPattern,
  type PatternFinding,
  type PatternResult,
  parseOriginPattern,
} from './engine/pattern.js';
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
export { formatProblem, MAX_ECHO_LENGTH, type Problem } from './engine/problem.js';
export { appendVary } from './engine/vary.js';
