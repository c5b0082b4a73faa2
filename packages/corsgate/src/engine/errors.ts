/**
 * The one registry of corsgate's configuration and allowlist codes. Every issue the engine, the
 * allowlist parser, the CLI and the admin API report carries one of these codes; `docs/errors.md`
 * documents each one and a test fails when the two disagree (the fastify `FST_ERR_*` habit).
 *
 * Severity is part of the code: an `error` stops a configuration (or an allowlist version) from
 * being applied; a `warning` is reported and the configuration still applies.
 */
import { formatProblem, type Severity } from './problem.js';

export type { Severity } from './problem.js';

export const ISSUE_CODES = {
  // Configuration shape
  CG_CONFIG_TYPE: { severity: 'error', summary: 'a configuration field has the wrong type' },
  CG_CONFIG_UNKNOWN_FIELD: {
    severity: 'error',
    summary: 'a configuration field that corsgate does not know',
  },

  // Origin entries: syntax
  CG_ORIGIN_EMPTY: { severity: 'error', summary: 'an empty origin entry' },
  CG_ORIGIN_TOO_LONG: {
    severity: 'error',
    summary: 'an origin entry longer than any origin a browser sends',
  },
  CG_ORIGIN_MISSING_SCHEME: { severity: 'error', summary: 'an origin entry without a scheme' },
  CG_ORIGIN_INVALID_SCHEME: { severity: 'error', summary: 'an origin entry whose scheme is not valid' },
  CG_ORIGIN_FILE_SCHEME: { severity: 'error', summary: 'a file: origin, which browsers send as null' },
  CG_ORIGIN_HAS_USERINFO: { severity: 'error', summary: 'an origin entry with a user name or password' },
  CG_ORIGIN_HAS_PATH: { severity: 'error', summary: 'an origin entry with a path, query or fragment' },
  CG_ORIGIN_INVALID_HOST: { severity: 'error', summary: 'an origin entry whose host is not valid' },
  CG_ORIGIN_INVALID_PORT: { severity: 'error', summary: 'an origin entry whose port is not valid' },
  CG_ORIGIN_UNSUPPORTED_PATTERN: {
    severity: 'error',
    summary: 'a pattern other than *.domain or :* (no regular expressions, no partial labels)',
  },
  // Origin entries: security refusals
  CG_ORIGIN_ANY_WITH_CREDENTIALS: { severity: 'error', summary: '* together with credentials' },
  CG_ORIGIN_NULL: { severity: 'error', summary: 'the null origin without dangerouslyAllowNullOrigin' },
  CG_ORIGIN_INSECURE_WITH_CREDENTIALS: {
    severity: 'error',
    summary: 'an http:// origin that is not loopback, with credentials',
  },
  CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD: {
    severity: 'error',
    summary: 'a *. wildcard directly over a public suffix or a single label, with credentials',
  },
  CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN: { severity: 'error', summary: 'privateNetwork together with *' },
  // Origin entries: warnings
  CG_ORIGIN_UPPER_CASE: { severity: 'warning', summary: 'upper case in scheme or host, lower-cased' },
  CG_ORIGIN_TRAILING_SLASH: { severity: 'warning', summary: 'a lone trailing /, removed' },
  CG_ORIGIN_DEFAULT_PORT: { severity: 'warning', summary: "the scheme's default port, removed" },
  CG_ORIGIN_UNICODE_HOST: { severity: 'warning', summary: 'a Unicode host, stored as punycode' },
  CG_ORIGIN_BROAD_WILDCARD: {
    severity: 'warning',
    summary: 'a *. wildcard over a public suffix or a single label (without credentials)',
  },
  CG_ORIGIN_DUPLICATE: { severity: 'warning', summary: 'the same origin entry twice' },
  CG_ORIGIN_REDUNDANT: { severity: 'warning', summary: 'an origin entry already covered by a wildcard or *' },

  // Methods
  CG_METHOD_INVALID: { severity: 'error', summary: 'a method that is not an HTTP token' },
  CG_METHOD_FORBIDDEN: { severity: 'error', summary: 'CONNECT, TRACE or TRACK, which browsers never send' },
  CG_METHOD_NORMALISED: { severity: 'warning', summary: 'a method browsers upper-case, upper-cased' },
  CG_METHOD_NOT_UPPER_CASE: {
    severity: 'warning',
    summary: 'a method not in upper case, which browsers match case-sensitively',
  },
  CG_METHOD_SAFELISTED: { severity: 'warning', summary: 'GET, HEAD or POST, which need no listing' },
  CG_METHOD_DUPLICATE: { severity: 'warning', summary: 'the same method twice' },

  // Request headers
  CG_REQUEST_HEADER_INVALID: {
    severity: 'error',
    summary: 'a request header name that is not an HTTP token',
  },
  CG_REQUEST_HEADER_FORBIDDEN: {
    severity: 'error',
    summary: 'a forbidden request header, which scripts cannot set',
  },
  CG_REQUEST_HEADER_CORS_OWNED: {
    severity: 'error',
    summary: 'a CORS response header listed as a request header',
  },
  CG_REQUEST_HEADER_DUPLICATE: { severity: 'warning', summary: 'the same request header twice' },

  // Exposed headers
  CG_EXPOSE_HEADER_INVALID: {
    severity: 'error',
    summary: 'an exposed header name that is not an HTTP token',
  },
  CG_EXPOSE_HEADER_FORBIDDEN: {
    severity: 'error',
    summary: 'Set-Cookie, Set-Cookie2 or a request-only header as an exposed header',
  },
  CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS: {
    severity: 'error',
    summary: '* as an exposed header together with credentials',
  },
  CG_EXPOSE_HEADER_SAFELISTED: { severity: 'warning', summary: 'an exposed header that is always readable' },
  CG_EXPOSE_HEADER_DUPLICATE: { severity: 'warning', summary: 'the same exposed header twice' },

  // Numbers
  CG_MAX_AGE_RANGE: { severity: 'error', summary: 'maxAge outside 0..86400 or not an integer' },
  CG_PREFLIGHT_STATUS: { severity: 'error', summary: 'preflightStatus other than 200 or 204' },

  // The application's own origins
  CG_PUBLIC_ORIGIN_INVALID: {
    severity: 'error',
    summary: 'a publicOrigins entry that is not one http(s) origin exactly as a browser sends it',
  },

  // The allowlist file (corsgate/allowlist): problems with the file itself, not one entry
  CG_ALLOWLIST_MISSING: { severity: 'error', summary: 'the allowlist file does not exist' },
  CG_ALLOWLIST_UNREADABLE: {
    severity: 'error',
    summary: 'the allowlist file cannot be read (permissions, a directory, an I/O error)',
  },
  CG_ALLOWLIST_INVALID_UTF8: { severity: 'error', summary: 'the allowlist file is not valid UTF-8' },
  CG_ALLOWLIST_ERRORS_OMITTED: {
    severity: 'error',
    summary: 'a rejected version had more errors than a source reports; lint the list to see them all',
  },
  CG_ALLOWLIST_EMPTY: {
    severity: 'warning',
    summary: 'the allowlist file has no entries, so no cross-origin caller is allowed',
  },
  CG_ALLOWLIST_ANY_ORIGIN: {
    severity: 'warning',
    summary: 'the allowlist holds *, so every site on the web can read the responses',
  },

  // Allowlist sources beyond the file (docs/allowlist.md "Sources")
  CG_ALLOWLIST_SOURCE_INVALID: {
    severity: 'error',
    summary:
      'an allowlist source that is neither a file path nor a valid redis://, rediss://, redis+sentinel:// or redis+cluster:// URL',
  },
  CG_ALLOWLIST_UNREACHABLE: {
    severity: 'error',
    summary: 'the allowlist source (Redis) cannot be reached; the last good version stays in force',
  },
  CG_ALLOWLIST_CONFLICT: {
    severity: 'error',
    summary: 'a write named a version that is no longer the one in force (compare-and-set lost)',
  },
  CG_ALLOWLIST_WRITE_UNCONFIRMED: {
    severity: 'error',
    summary: 'a write caught in a Redis failover whose outcome cannot be known, or that no replica confirmed',
  },
  CG_ALLOWLIST_HASH_MISMATCH: {
    severity: 'error',
    summary: "a stored version's content hash does not match its text; it is not applied",
  },
  CG_ALLOWLIST_RECORD_INVALID: {
    severity: 'error',
    summary:
      'a version stored in Redis whose version, hash or text is not what corsgate writes; it is not applied',
  },
  CG_ALLOWLIST_CLOSED: { severity: 'error', summary: 'a write to an allowlist store that was closed' },

  // Adapters
  CG_FASTIFY_ROUTE_UNSEEN: {
    severity: 'error',
    summary: 'a Fastify route with config.cors added before corsgate was registered',
  },
} as const satisfies Record<string, { severity: 'error' | 'warning'; summary: string }>;

export type IssueCode = keyof typeof ISSUE_CODES;

/** One problem found in a configuration or an allowlist. Plain data: safe to log or serialise. */
export interface ConfigIssue {
  readonly code: IssueCode;
  readonly severity: Severity;
  /** Where in the config object: `['origins', 3]`. The allowlist parser adds line and column. */
  readonly path: readonly (string | number)[];
  /** The offending value, as given. */
  readonly value: unknown;
  /** Why, in one sentence that starts with "corsgate:". */
  readonly reason: string;
  /**
   * What to write instead, as a short phrase ready to print in parentheses: "did you mean
   * https://app.example.com?" for an error, "write https://app.example.com" for a normalisation.
   */
  readonly suggestion?: string;
}

export function issue(
  code: IssueCode,
  path: readonly (string | number)[],
  value: unknown,
  reason: string,
  suggestion?: string,
): ConfigIssue {
  const found: ConfigIssue = {
    code,
    severity: ISSUE_CODES[code].severity,
    path,
    value,
    reason: `corsgate: ${reason}`,
  };
  return suggestion === undefined ? found : { ...found, suggestion };
}

/** Thrown by `createPolicy` when the configuration has at least one error; holds every problem. */
export class CorsConfigError extends Error {
  override readonly name = 'CorsConfigError';
  /** Every error and warning found, in the order of the configuration. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    const lines = errors.map((i) => `  ${formatIssue(i)}`);
    super(
      `corsgate: invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'})\n${lines.join('\n')}`,
    );
    this.issues = issues;
  }

  /** The issues whose severity is `error`. */
  get errors(): readonly ConfigIssue[] {
    return this.issues.filter((i) => i.severity === 'error');
  }
}

/**
 * One line for people, in the one problem format (`formatProblem`):
 * `origins[4]: error CG_ORIGIN_MISSING_SCHEME … (did you mean …?)`.
 * @param where the place to name instead of the config path (a file position, a flag)
 */
export function formatIssue(found: ConfigIssue, where: string = formatPath(found.path)): string {
  return formatProblem({
    where,
    severity: found.severity,
    code: found.code,
    message: found.reason,
    suggestion: found.suggestion,
  });
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(config)' : out;
}
