/**
 * The gateway's CORS policy: the policy flags laid over the config file's policy, validated by the
 * engine, each problem located at its flag or at its line in the file.
 */
import { type ConfigIssue, type CorsConfigWithoutOrigins, validateConfig } from 'corsgate';
import type { Path } from './file.js';
import type { FlagValues } from './flags.js';
import type { FileConfig, PolicyFields } from './schema.js';
import type { ConfigProblem } from './types.js';

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The engine's issues as the gateway's problems, each at `where` it is. */
export function engineProblems(
  issues: readonly ConfigIssue[],
  where: (issue: ConfigIssue) => string,
  keep: (issue: ConfigIssue) => boolean = () => true,
): ConfigProblem[] {
  return issues.filter(keep).map((i) => ({
    code: i.code,
    severity: i.severity,
    where: where(i),
    message: i.reason,
    suggestion: i.suggestion,
  }));
}

const FLAG_OF: Record<string, string> = {
  credentials: '--credentials',
  methods: '--methods',
  requestHeaders: '--request-headers',
  exposeHeaders: '--expose-headers',
  maxAge: '--max-age',
  preflightStatus: '--preflight-status',
};

/**
 * The policy fields the command line gives (`--credentials`, `--methods`, `--request-headers`,
 * `--expose-headers`, `--max-age`, `--preflight-status`), typed, and which of them were given.
 * `serve` lays them over the config file; `explain` over an allowlist, so both read the same
 * flags the same way.
 */
export function policyFromFlags(
  flags: FlagValues,
  problems: ConfigProblem[],
): { fields: PolicyFields; given: Set<string> } {
  const fromFlags: PolicyFields = {};
  const flagOrigin = new Set<string>();
  if (flags.credentials) {
    fromFlags.credentials = true;
    flagOrigin.add('credentials');
  }
  if (flags.methods !== undefined) {
    fromFlags.methods = list(flags.methods);
    flagOrigin.add('methods');
  }
  if (flags.requestHeaders !== undefined) {
    fromFlags.requestHeaders = list(flags.requestHeaders);
    flagOrigin.add('requestHeaders');
  }
  if (flags.exposeHeaders !== undefined) {
    fromFlags.exposeHeaders = list(flags.exposeHeaders);
    flagOrigin.add('exposeHeaders');
  }
  if (flags.maxAge !== undefined) {
    // The engine checks the range (CG_MAX_AGE_RANGE); here only that it is a number.
    const n = Number(flags.maxAge);
    fromFlags.maxAge = flags.maxAge.trim() === '' || Number.isNaN(n) ? Number.NaN : n;
    flagOrigin.add('maxAge');
  }
  if (flags.preflightStatus !== undefined) {
    if (flags.preflightStatus === '200' || flags.preflightStatus === '204') {
      fromFlags.preflightStatus = Number(flags.preflightStatus) as 200 | 204;
      flagOrigin.add('preflightStatus');
    } else
      problems.push({
        code: 'CG_PREFLIGHT_STATUS',
        severity: 'error',
        where: '--preflight-status',
        message: `"${flags.preflightStatus}" is not 200 or 204 (a preflight needs an ok status, R14)`,
      });
  }
  return { fields: fromFlags, given: flagOrigin };
}

/**
 * The policy the command line alone gives (no config file), validated by the engine as `serve`
 * validates it: each problem is located at its flag. `origins` come from the allowlist file.
 */
export function policyFromFlagsOnly(flags: FlagValues): {
  policy: CorsConfigWithoutOrigins;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const { fields } = policyFromFlags(flags, problems);
  const policy: CorsConfigWithoutOrigins = { ...fields };
  problems.push(
    ...engineProblems(
      validateConfig({ ...policy, origins: [] }),
      (i) => FLAG_OF[String(i.path[0])] ?? String(i.path[0]),
      (i) => i.path[0] !== 'origins',
    ),
  );
  return { policy, problems };
}

/**
 * The base policy: the file's policy with the policy flags over it, validated by the engine now
 * (`origins` come from the allowlist file), every problem at once, at its flag or file line.
 */
export function basePolicy(
  flags: FlagValues,
  file: FileConfig,
  fileAt: (path: Path) => string,
  problems: ConfigProblem[],
): CorsConfigWithoutOrigins {
  const { fields: fromFlags, given: flagOrigin } = policyFromFlags(flags, problems);
  const policy: CorsConfigWithoutOrigins = { ...file.policy, ...fromFlags };
  const policyWhere = (i: ConfigIssue): string => {
    const key = i.path[0];
    if (typeof key === 'string' && flagOrigin.has(key)) return FLAG_OF[key] ?? key;
    return fileAt(['policy', ...i.path]);
  };
  problems.push(
    ...engineProblems(
      validateConfig({ ...policy, origins: [] }),
      policyWhere,
      (i) => i.path[0] !== 'origins',
    ),
  );
  return policy;
}
