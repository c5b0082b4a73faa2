/**
 * The numbers and flags of a configuration: the six booleans (read by `ConfigReader.bool`),
 * `maxAge` (docs/rules.md R20, R21) and `preflightStatus` (R14).
 */
import { type ConfigIssue, issue } from '../errors.js';
import type { ConfigReader } from './fields.js';

/** Upper bound for Access-Control-Max-Age: Firefox's cap; longer is pointless (R21). */
export const MAX_MAX_AGE = 86_400;

/** The booleans, each false unless set (the closed default). */
export interface Flags {
  readonly credentials: boolean;
  readonly privateNetwork: boolean;
  readonly debug: boolean;
  readonly allowNull: boolean;
  readonly allowInsecure: boolean;
  readonly allowPublicSuffix: boolean;
}

/** Reads the six booleans, in the order their type problems are reported. */
export function readFlags(reader: ConfigReader): Flags {
  return {
    credentials: reader.bool('credentials'),
    privateNetwork: reader.bool('privateNetwork'),
    debug: reader.bool('debug'),
    allowNull: reader.bool('dangerouslyAllowNullOrigin'),
    allowInsecure: reader.bool('dangerouslyAllowInsecureOrigins'),
    allowPublicSuffix: reader.bool('dangerouslyAllowPublicSuffixWildcards'),
  };
}

/** `maxAge`: a whole number of seconds from 0 to `MAX_MAX_AGE`, or undefined (not sent). */
export function compileMaxAge(value: unknown, issues: ConfigIssue[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MAX_AGE) {
    issues.push(
      issue(
        'CG_MAX_AGE_RANGE',
        ['maxAge'],
        value,
        `maxAge must be a whole number of seconds from 0 to ${MAX_MAX_AGE} (0 disables preflight caching; browsers cap it at 7200 in Chromium, 600 in Safari, 86400 in Firefox)`,
      ),
    );
    return undefined;
  }
  return value;
}

/** `preflightStatus`: 204 (the default) or 200. */
export function compilePreflightStatus(value: unknown, issues: ConfigIssue[]): 200 | 204 {
  if (value === undefined) return 204;
  if (value !== 200 && value !== 204) {
    issues.push(
      issue(
        'CG_PREFLIGHT_STATUS',
        ['preflightStatus'],
        value,
        'preflightStatus must be 204 or 200 (a preflight needs an ok status, R14)',
      ),
    );
    return 204;
  }
  return value;
}
