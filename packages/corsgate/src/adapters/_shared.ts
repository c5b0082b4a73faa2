/**
 * What every adapter shares: turning `options` into a policy source, and merging `Vary`.
 * Runtime-neutral (no `node:*` imports) so the fetch and hono adapters can load in workers.
 * @internal
 */
import type { Decision } from '../engine/decision.js';
import { CorsConfigError, issue } from '../engine/errors.js';
import { type CorsConfig, createPolicy, Policy } from '../engine/policy.js';

/** A compiled policy, built once and shared between middleware instances or with the gateway. */
export interface PolicyOptions {
  readonly policy: Policy;
}

/**
 * The middleware options: the engine's configuration, or `{ policy }` with a compiled `Policy`.
 * @example
 * cors({ origins: ['https://app.example.com'], credentials: true, methods: ['PUT'] })
 * cors({ policy: createPolicy(config) })
 */
export type CorsOptions = CorsConfig | PolicyOptions;

/** Where an adapter reads the policy in force from, on every request. */
export interface PolicySource {
  /** The policy to apply now. */
  current(): Policy;
  /** Resolves once the policy is loaded (at once for a config or a compiled policy). */
  readonly ready: Promise<void>;
  /** Stops watching (no-op unless the policy comes from a watched file). */
  close(): Promise<void>;
}

const RESOLVED: Promise<void> = Promise.resolve();
const NOOP_CLOSE = (): Promise<void> => RESOLVED;

/**
 * Resolves options once, at factory time: validation errors throw here, at start-up, never on a
 * request (fail closed: a bad configuration never serves traffic).
 * @throws CorsConfigError when the configuration is invalid or `policy` is not a compiled Policy.
 */
export function policySource(options: CorsOptions | undefined): PolicySource {
  const policy = resolvePolicy(options);
  return { current: () => policy, ready: RESOLVED, close: NOOP_CLOSE };
}

function resolvePolicy(options: CorsOptions | undefined): Policy {
  if (options !== undefined && options !== null && typeof options === 'object' && 'policy' in options) {
    const { policy, ...rest } = options as PolicyOptions & Record<string, unknown>;
    const issues = [];
    if (!(policy instanceof Policy))
      issues.push(
        issue('CG_CONFIG_TYPE', ['policy'], policy, '"policy" must be a Policy from createPolicy()'),
      );
    for (const key of Object.keys(rest)) {
      if (rest[key] !== undefined)
        issues.push(
          issue(
            'CG_CONFIG_UNKNOWN_FIELD',
            [key],
            rest[key],
            `"${key}" cannot be combined with "policy": the compiled policy already holds the whole configuration`,
          ),
        );
    }
    if (issues.length > 0) throw new CorsConfigError(issues);
    return policy;
  }
  return createPolicy(options as CorsConfig | undefined);
}

/**
 * Appends Vary tokens to an existing value, skipping tokens already present (case-insensitive,
 * RFC 9110 §12.5.5) and leaving `*` alone: it already varies on everything.
 */
export function mergeVary(existing: string, tokens: readonly string[]): string {
  if (existing.length === 0) return tokens.join(', ');
  let out = existing;
  const present = existing.toLowerCase();
  for (const token of tokens) {
    const lower = token.toLowerCase();
    // Cheap test first; the exact element-wise check only when the substring occurs.
    if (present.includes(lower) && hasToken(present, lower)) continue;
    if (hasToken(present, '*')) return existing;
    out += `, ${token}`;
  }
  return out;
}

function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) if (part.trim() === token) return true;
  return false;
}

/** The `Vary` value a decision adds when nothing was set before. */
export function varyValue(decision: Decision): string | undefined {
  const vary = decision.vary;
  if (vary.length === 0) return undefined;
  return vary.length === 1 ? vary[0] : vary.join(', ');
}
