/**
 * `createPolicy(config)`: validate the whole configuration, collect every problem, compile it into
 * an immutable `Policy` whose `evaluate` only looks things up. Rule ids (R2, R16…) refer to
 * docs/rules.md.
 */

import { type AllowedRequestHeaders, firstDisallowedHeader, parseAcrh } from './acrh.js';
import {
  ACAC,
  ACAH,
  ACAM,
  ACAO,
  ACAPN,
  ACEH,
  ACMA,
  type Decision,
  type ReasonCode,
  type RequestFacts,
} from './decision.js';
import { type ConfigIssue, CorsConfigError, issue } from './errors.js';
import {
  DEFAULT_PORTS,
  FORBIDDEN_METHODS,
  FORBIDDEN_RESPONSE_HEADERS,
  isForbiddenRequestHeader,
  isToken,
  NORMALISED_METHODS,
  SAFELISTED_METHODS,
  SAFELISTED_RESPONSE_HEADERS,
} from './fetch-spec.js';
import { type OriginMatch, OriginMatcher } from './matcher.js';
import { isLoopbackHost, parseSerializedOrigin } from './origin.js';
import {
  type OriginPattern,
  type PatternFinding,
  type PatternResult,
  parseOriginPattern,
} from './pattern.js';
import { isPublicSuffix } from './public-suffix.js';

/**
 * The configuration: plain, JSON-serialisable data. Every field is optional and every default is
 * the closed one: no origins means no cross-origin caller.
 */
export interface CorsConfig {
  /** Allowed origins: exact origins, `scheme://*.domain`, `scheme://host:*`, `*`, `null`. Default: none. */
  readonly origins?: readonly string[];
  /** Allow credentialed requests (cookies, HTTP auth): sends `Access-Control-Allow-Credentials: true`. Default false. */
  readonly credentials?: boolean;
  /** Methods beyond GET, HEAD and POST (which never need listing), case-sensitive; `*` for any. Default: none. */
  readonly methods?: readonly string[];
  /** Request header names scripts may send (case-insensitive); `*` for any but Authorization. Default: none. */
  readonly requestHeaders?: readonly string[];
  /** Response header names scripts may read beyond the safelisted ones; `*` without credentials. Default: none. */
  readonly exposeHeaders?: readonly string[];
  /** Seconds a browser may cache a preflight, 0..86400 (0 disables caching). Default: not sent (5 s in browsers). */
  readonly maxAge?: number;
  /** Status of an allowed preflight: 204, or 200 for old clients. Default 204. */
  readonly preflightStatus?: 200 | 204;
  /** Answer legacy Private Network Access preflights with `Access-Control-Allow-Private-Network: true`. Default false. */
  readonly privateNetwork?: boolean;
  /** Failing preflights get partial headers so the browser console names the exact cause. Default false. */
  readonly debug?: boolean;
  /** Allow listing `null` (sandboxed iframes, data: and file: pages: anyone can make one). Default false. */
  readonly dangerouslyAllowNullOrigin?: boolean;
  /** Allow plain http:// origins other than loopback together with credentials. Default false. */
  readonly dangerouslyAllowInsecureOrigins?: boolean;
  /** Allow `*.` directly over a public suffix or a single label together with credentials. Default false. */
  readonly dangerouslyAllowPublicSuffixWildcards?: boolean;
}

/**
 * The configuration without its origins, for a policy whose origins come from elsewhere: an
 * allowlist file (`watchAllowlist`, the adapters' `allowlist` option, the gateway) or a route.
 */
export type CorsConfigWithoutOrigins = Omit<CorsConfig, 'origins'>;

/** The configuration in force, with every field explicit. `createPolicy(policy.config())` behaves identically. */
export interface NormalisedCorsConfig {
  origins: string[];
  credentials: boolean;
  methods: string[];
  requestHeaders: string[];
  exposeHeaders: string[];
  maxAge?: number;
  preflightStatus: 200 | 204;
  privateNetwork: boolean;
  debug: boolean;
  dangerouslyAllowNullOrigin: boolean;
  dangerouslyAllowInsecureOrigins: boolean;
  dangerouslyAllowPublicSuffixWildcards: boolean;
}

const BOOLEAN_FIELDS = [
  'credentials',
  'privateNetwork',
  'debug',
  'dangerouslyAllowNullOrigin',
  'dangerouslyAllowInsecureOrigins',
  'dangerouslyAllowPublicSuffixWildcards',
] as const;
const LIST_FIELDS = ['origins', 'methods', 'requestHeaders', 'exposeHeaders'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([
  ...BOOLEAN_FIELDS,
  ...LIST_FIELDS,
  'maxAge',
  'preflightStatus',
]);

const NO_WARNINGS: PatternFinding[] = [];
Object.freeze(NO_WARNINGS);

/**
 * One allowlist entry. The fast path: an entry that the request-time parser accepts as it stands
 * is already an exact origin in the one form browsers send (§3.1: lower case, no default port, no
 * path), so it is its own normalised text and needs no warning. That is the bulk of any large
 * list, and it skips `parseOriginPattern`'s regular expressions and slices. Two serialized origins
 * are not entries and go the general way, which refuses them: `file:` (an opaque origin, sent as
 * `null`) and a scheme with `+` (the general parser refuses it as a regular-expression character).
 * Everything else (wildcards, `*`, `null`, entries to normalise or refuse) takes the general path.
 */
export function parseOriginEntry(value: string): PatternResult {
  const exact = parseSerializedOrigin(value);
  if (exact === null || exact.scheme === 'file' || exact.scheme.includes('+'))
    return parseOriginPattern(value);
  const pattern: OriginPattern = {
    kind: 'origin',
    scheme: exact.scheme,
    host: exact.host,
    hostKind: exact.hostKind,
    subdomains: false,
    port: exact.port,
  };
  return { ok: true, pattern, text: value, warnings: NO_WARNINGS };
}

/** The pattern of an exact origin the compile kept as text only (always valid: it was compiled). */
function exactPatternOf(text: string): OriginPattern {
  const parsed = parseOriginEntry(text);
  if (!parsed.ok) throw new Error(`corsgate: internal error: "${text}" was compiled but does not parse`);
  return parsed.pattern;
}

/**
 * Origins compiled between two chances to yield. At ~1–3 µs an entry this is a few ms of work, so
 * `createPolicyAsync` can keep every slice near its budget.
 */
const SLICE_ENTRIES = 1000;

/** Upper bound for Access-Control-Max-Age: Firefox's cap; longer is pointless (R21). */
export const MAX_MAX_AGE = 86_400;

interface Compiled {
  readonly normalised: NormalisedCorsConfig;
  /** Built in the same slices as the compile, so that `Policy` gets it ready-made. */
  readonly matcher: OriginMatcher;
  readonly methods: Set<string>;
  readonly anyMethod: boolean;
  readonly requestHeaders: AllowedRequestHeaders;
}

/** Checks a configuration without building a policy: every error and warning, in config order. */
export function validateConfig(config: unknown): ConfigIssue[] {
  return compile(config).issues;
}

/**
 * Validates and compiles a configuration.
 * @throws CorsConfigError holding every problem when there is at least one error.
 * @example
 * const policy = createPolicy({ origins: ['https://app.example.com'], credentials: true, methods: ['PUT'] });
 * policy.evaluate({ method: 'GET', origin: 'https://app.example.com' }).headers
 * // { 'Access-Control-Allow-Origin': 'https://app.example.com', 'Access-Control-Allow-Credentials': 'true' }
 */
export function createPolicy(config: CorsConfig = {}): Policy {
  return policyOf(compile(config));
}

/** Options of `createPolicyAsync`. */
export interface CreatePolicyAsyncOptions {
  /**
   * Longest stretch of compiling, in milliseconds, before the event loop gets a turn. The compile
   * checks the clock every 1,000 origins, so a slice can overrun by that much work (a few ms).
   * Default 4.
   */
  readonly sliceBudgetMs?: number;
  /**
   * Gives the event loop a turn between slices. Default: a zero-delay `setTimeout` (a macrotask,
   * so timers and I/O run; a microtask would not let them). Pass your runtime's own, e.g.
   * `() => new Promise((r) => setImmediate(r))` in Node.js or `scheduler.yield` in browsers.
   */
  readonly yieldToEventLoop?: () => Promise<void>;
  /** The clock used for the budget, in milliseconds. Default `performance.now` (or `Date.now`). */
  readonly now?: () => number;
}

/** Default of `CreatePolicyAsyncOptions.sliceBudgetMs`. */
export const DEFAULT_SLICE_BUDGET_MS = 4;

const macrotask = (): Promise<void> => new Promise((resolve) => globalThis.setTimeout(resolve, 0));
const defaultNow: () => number =
  typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : Date.now;

/**
 * `createPolicy` in slices: the same validation, the same result and the same errors, but the
 * compile gives the event loop a turn whenever it has run for `sliceBudgetMs`, so a server that
 * reloads a 100,000-origin allowlist keeps answering requests meanwhile. The engine stays
 * runtime-neutral: it only awaits the `yieldToEventLoop` it is given (default `setTimeout(0)`).
 *
 * Use it for large lists; for a few hundred origins `createPolicy` finishes in well under a
 * millisecond and yielding only adds latency.
 * @param config the configuration, as for `createPolicy`
 * @param options `sliceBudgetMs` (default 4), `yieldToEventLoop` (default a zero-delay
 *   `setTimeout`), `now` (default `performance.now`)
 * @returns the compiled policy; the configuration is read as the call starts (the origins array is
 *   copied before the first yield), so later changes to it do not leak into the policy
 * @throws CorsConfigError (as a rejected promise) holding every problem when there is an error
 * @example
 * const policy = await createPolicyAsync({ origins: hundredThousandOrigins }, { sliceBudgetMs: 5 });
 * policy.evaluate({ method: 'GET', origin: 'https://app.example.com' });
 */
export async function createPolicyAsync(
  config: CorsConfig = {},
  options: CreatePolicyAsyncOptions = {},
): Promise<Policy> {
  const budget = options.sliceBudgetMs ?? DEFAULT_SLICE_BUDGET_MS;
  const yieldNow = options.yieldToEventLoop ?? macrotask;
  const now = options.now ?? defaultNow;
  // A snapshot of the input: the caller may change its arrays while we are yielded.
  const input: unknown =
    typeof config === 'object' && config !== null && Array.isArray(config.origins)
      ? { ...config, origins: config.origins.slice() }
      : config;
  const steps = compileSteps(input);
  let sliceStart = now();
  let step = steps.next();
  while (step.done !== true) {
    if (now() - sliceStart >= budget) {
      await yieldNow();
      sliceStart = now();
    }
    step = steps.next();
  }
  return policyOf(step.value);
}

function policyOf({ compiled, issues }: CompileResult): Policy {
  if (compiled === undefined || issues.some((i) => i.severity === 'error')) throw new CorsConfigError(issues);
  return new Policy(compiled, issues);
}

type CompileResult = { compiled?: Compiled; issues: ConfigIssue[] };

/** Runs every step of the compile at once: `createPolicy` and `validateConfig`. */
function compile(input: unknown): CompileResult {
  const steps = compileSteps(input);
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/**
 * The compile, as steps: it yields every `SLICE_ENTRIES` origins so that `createPolicyAsync` can
 * give the event loop back between slices. Run to the end, it is the same code path and result
 * as the synchronous compile (`compile` above just does that).
 */
function* compileSteps(input: unknown): Generator<void, CompileResult, void> {
  const issues: ConfigIssue[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.push(issue('CG_CONFIG_TYPE', [], input, 'the configuration must be an object'));
    return { issues };
  }
  const config = input as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!KNOWN_FIELDS.has(key) && config[key] !== undefined) {
      issues.push(
        issue('CG_CONFIG_UNKNOWN_FIELD', [key], config[key], `"${key}" is not a configuration field`),
      );
    }
  }
  const bool = (key: (typeof BOOLEAN_FIELDS)[number]): boolean => {
    const value = config[key];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') {
      issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be true or false`));
      return false;
    }
    return value;
  };
  const rawList = (key: (typeof LIST_FIELDS)[number]): readonly unknown[] => {
    const value = config[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be an array of strings`));
      return [];
    }
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      // `index in value`: a hole in a sparse array is skipped, as `forEach` in `list()` skips it.
      if (typeof item !== 'string' && index in value)
        issues.push(issue('CG_CONFIG_TYPE', [key, index], item, `every entry of "${key}" must be a string`));
    }
    return value;
  };
  const list = (key: (typeof LIST_FIELDS)[number]): { value: string; index: number }[] => {
    const value = config[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      issues.push(issue('CG_CONFIG_TYPE', [key], value, `"${key}" must be an array of strings`));
      return [];
    }
    const out: { value: string; index: number }[] = [];
    value.forEach((item, index) => {
      if (typeof item === 'string') out.push({ value: item, index });
      else
        issues.push(issue('CG_CONFIG_TYPE', [key, index], item, `every entry of "${key}" must be a string`));
    });
    return out;
  };

  const credentials = bool('credentials');
  const privateNetwork = bool('privateNetwork');
  const debug = bool('debug');
  const allowNull = bool('dangerouslyAllowNullOrigin');
  const allowInsecure = bool('dangerouslyAllowInsecureOrigins');
  const allowPublicSuffix = bool('dangerouslyAllowPublicSuffixWildcards');

  // Origins
  // Exact origins are kept as their text only (undefined here): holding 100,000 pattern objects
  // through the compile would promote them to the old generation, which costs GC for no use; the
  // redundancy check re-derives the few it needs from the text.
  const patterns: (OriginPattern | undefined)[] = [];
  const originTexts: string[] = [];
  const indexOfText = new Map<string, number>();
  const patternIndexes: number[] = [];
  const matcher = new OriginMatcher([]);
  // The raw array, not `list()`'s `{ value, index }` copies: a large allowlist is all strings and
  // the copies cost an object per entry. Type errors are still reported first, as `list()` does.
  const originValues = rawList('origins');
  for (let index = 0; index < originValues.length; index++) {
    // Cooperative slicing: the async driver may hand the event loop back here (a generator step
    // costs nothing next to SLICE_ENTRIES entries).
    if (index > 0 && index % SLICE_ENTRIES === 0) yield;
    const value = originValues[index];
    if (typeof value !== 'string') continue;
    const parsed = parseOriginEntry(value);
    if (!parsed.ok) {
      issues.push(issue(parsed.code, ['origins', index], value, parsed.reason, parsed.suggestion));
      continue;
    }
    for (const w of parsed.warnings)
      issues.push(issue(w.code, ['origins', index], value, w.reason, `write ${parsed.text}`));
    const p = parsed.pattern;
    if (p.kind === 'any' && credentials) {
      issues.push(
        issue(
          'CG_ORIGIN_ANY_WITH_CREDENTIALS',
          ['origins', index],
          value,
          'you cannot both allow every origin (*) and enable credentials: browsers reject "*" on credentialed requests, and reflecting every origin instead would let any site act as the signed-in user',
        ),
      );
      continue;
    }
    if (p.kind === 'null' && !allowNull) {
      issues.push(
        issue(
          'CG_ORIGIN_NULL',
          ['origins', index],
          value,
          'the "null" origin is sent by sandboxed iframes, data: URLs and file: pages, which any attacker can create; set dangerouslyAllowNullOrigin to allow it anyway',
        ),
      );
      continue;
    }
    if (p.kind === 'origin') {
      const loopback = p.subdomains ? p.host === 'localhost' : isLoopbackHost(p.host, p.hostKind);
      if (p.scheme === 'http' && credentials && !loopback && !allowInsecure) {
        issues.push(
          issue(
            'CG_ORIGIN_INSECURE_WITH_CREDENTIALS',
            ['origins', index],
            value,
            `"${parsed.text}" is plain http: anyone on the network path can inject script into that origin and act with the user's credentials; use https, or set dangerouslyAllowInsecureOrigins`,
            `did you mean https://${parsed.text.slice('http://'.length)}?`,
          ),
        );
        continue;
      }
      // `*.localhost` is a single label but only ever names this machine (RFC 6761 §6.3): nobody
      // else can register under it, so it is not the public-suffix attack class (§6).
      // Asked only of wildcards: the public-suffix lookup would otherwise run for every exact origin.
      const broad =
        p.subdomains && p.host !== 'localhost' && (!p.host.includes('.') || isPublicSuffix(p.host));
      if (broad) {
        const what = p.host.includes('.')
          ? `"${p.host}" is a public suffix`
          : `"${p.host}" is a single label`;
        if (credentials && !allowPublicSuffix) {
          issues.push(
            issue(
              'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD',
              ['origins', index],
              value,
              `${what}, so "${parsed.text}" admits sites that anyone can register, with credentials; list the exact origins, or set dangerouslyAllowPublicSuffixWildcards`,
            ),
          );
          continue;
        }
        if (!allowPublicSuffix) {
          issues.push(
            issue(
              'CG_ORIGIN_BROAD_WILDCARD',
              ['origins', index],
              value,
              `${what}, so "${parsed.text}" admits sites that anyone can register`,
            ),
          );
        }
      }
    }
    // Exact origins are deduplicated in the matcher's own table (one hash table for the bulk of a
    // large list); the few patterns in `indexOfText`. The two never share a text.
    const exact = p.kind === 'origin' && !p.subdomains && p.port !== 'any';
    const seen = exact ? matcher.exactIndex(parsed.text) : indexOfText.get(parsed.text);
    if (seen !== undefined) {
      issues.push(
        issue(
          'CG_ORIGIN_DUPLICATE',
          ['origins', index],
          value,
          `"${parsed.text}" is already listed at origins[${seen}]`,
        ),
      );
      continue;
    }
    if (!exact) indexOfText.set(parsed.text, index);
    matcher.add(p, parsed.text, index);
    patterns.push(exact ? undefined : p);
    patternIndexes.push(index);
    originTexts.push(parsed.text);
  }
  yield* reportRedundantOrigins(patterns, originTexts, patternIndexes, issues);
  if (privateNetwork && matcher.any) {
    issues.push(
      issue(
        'CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN',
        ['privateNetwork'],
        true,
        'Private Network Access lets public pages reach private servers; granting it to every origin (*) defeats it',
      ),
    );
  }

  // Methods (R6, R7, R16)
  const methods = new Set<string>();
  const methodTexts: string[] = [];
  let anyMethod = false;
  for (const { value, index } of list('methods')) {
    const path = ['methods', index];
    if (value === '*') {
      anyMethod = true;
      methodTexts.push(value);
      continue;
    }
    if (!isToken(value)) {
      issues.push(issue('CG_METHOD_INVALID', path, value, `"${value}" is not an HTTP method token`));
      continue;
    }
    const upper = value.toUpperCase();
    if (FORBIDDEN_METHODS.has(upper)) {
      issues.push(
        issue(
          'CG_METHOD_FORBIDDEN',
          path,
          value,
          `${upper} is a forbidden method: browsers never let a script send it`,
        ),
      );
      continue;
    }
    let method = value;
    if (NORMALISED_METHODS.has(upper) && value !== upper) {
      issues.push(
        issue(
          'CG_METHOD_NORMALISED',
          path,
          value,
          `browsers upper-case "${value}" to ${upper} before sending it`,
          `write ${upper}`,
        ),
      );
      method = upper;
    } else if (method !== upper) {
      issues.push(
        issue(
          'CG_METHOD_NOT_UPPER_CASE',
          path,
          value,
          `browsers send "${value}" exactly as the script writes it and compare case-sensitively (R7): "${value}" does not allow ${upper}`,
          `did you mean ${upper}?`,
        ),
      );
    }
    if (methods.has(method)) {
      issues.push(issue('CG_METHOD_DUPLICATE', path, value, `${method} is listed twice`));
      continue;
    }
    if (SAFELISTED_METHODS.has(method)) {
      issues.push(
        issue('CG_METHOD_SAFELISTED', path, value, `${method} is CORS-safelisted and never needs listing`),
      );
    }
    methods.add(method);
    methodTexts.push(method);
  }

  // Request headers (R6, R17)
  const headerNames = new Set<string>();
  const headerTexts: string[] = [];
  let anyHeader = false;
  for (const { value, index } of list('requestHeaders')) {
    const path = ['requestHeaders', index];
    if (value === '*') {
      anyHeader = true;
      headerTexts.push(value);
      continue;
    }
    if (!isToken(value)) {
      issues.push(issue('CG_REQUEST_HEADER_INVALID', path, value, `"${value}" is not an HTTP header name`));
      continue;
    }
    const lower = value.toLowerCase();
    if (isForbiddenRequestHeader(lower)) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is a forbidden request header: scripts cannot set it, so browsers never ask for it`,
        ),
      );
      continue;
    }
    if (lower.startsWith('access-control-')) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_CORS_OWNED',
          path,
          value,
          `${value} is a CORS response header; a request never carries it`,
        ),
      );
      continue;
    }
    if (headerNames.has(lower)) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_DUPLICATE',
          path,
          value,
          `${value} is listed twice (names are case-insensitive)`,
        ),
      );
      continue;
    }
    headerNames.add(lower);
    headerTexts.push(lower);
  }

  // Exposed headers (R22, R23)
  const exposeTexts: string[] = [];
  const exposeSeen = new Set<string>();
  for (const { value, index } of list('exposeHeaders')) {
    const path = ['exposeHeaders', index];
    if (value === '*') {
      if (credentials) {
        issues.push(
          issue(
            'CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS',
            path,
            value,
            'with credentials, browsers read "*" in Access-Control-Expose-Headers as a header literally named "*"; list the names',
          ),
        );
        continue;
      }
    } else if (!isToken(value)) {
      issues.push(issue('CG_EXPOSE_HEADER_INVALID', path, value, `"${value}" is not an HTTP header name`));
      continue;
    }
    const lower = value.toLowerCase();
    if (FORBIDDEN_RESPONSE_HEADERS.has(lower)) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is never readable by scripts, whatever the server says`,
        ),
      );
      continue;
    }
    if (lower === 'origin' || lower.startsWith('access-control-request-')) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is a request header; a response never carries it`,
        ),
      );
      continue;
    }
    if (exposeSeen.has(lower)) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_DUPLICATE',
          path,
          value,
          `${value} is listed twice (names are case-insensitive)`,
        ),
      );
      continue;
    }
    if (SAFELISTED_RESPONSE_HEADERS.has(lower)) {
      issues.push(
        issue('CG_EXPOSE_HEADER_SAFELISTED', path, value, `${value} is always readable and needs no listing`),
      );
    }
    exposeSeen.add(lower);
    exposeTexts.push(value);
  }

  // Numbers
  let maxAge: number | undefined;
  if (config['maxAge'] !== undefined) {
    const value = config['maxAge'];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MAX_AGE) {
      issues.push(
        issue(
          'CG_MAX_AGE_RANGE',
          ['maxAge'],
          value,
          `maxAge must be a whole number of seconds from 0 to ${MAX_MAX_AGE} (0 disables preflight caching; browsers cap it at 7200 in Chromium, 600 in Safari, 86400 in Firefox)`,
        ),
      );
    } else maxAge = value;
  }
  let preflightStatus: 200 | 204 = 204;
  if (config['preflightStatus'] !== undefined) {
    const value = config['preflightStatus'];
    if (value !== 200 && value !== 204) {
      issues.push(
        issue(
          'CG_PREFLIGHT_STATUS',
          ['preflightStatus'],
          value,
          'preflightStatus must be 204 or 200 (a preflight needs an ok status, R14)',
        ),
      );
    } else preflightStatus = value;
  }

  const normalised: NormalisedCorsConfig = {
    origins: originTexts,
    credentials,
    methods: methodTexts,
    requestHeaders: headerTexts,
    exposeHeaders: exposeTexts,
    preflightStatus,
    privateNetwork,
    debug,
    dangerouslyAllowNullOrigin: allowNull,
    dangerouslyAllowInsecureOrigins: allowInsecure,
    dangerouslyAllowPublicSuffixWildcards: allowPublicSuffix,
  };
  if (maxAge !== undefined) normalised.maxAge = maxAge;
  return {
    compiled: {
      normalised,
      matcher,
      methods,
      anyMethod,
      requestHeaders: { names: headerNames, any: anyHeader },
    },
    issues,
  };
}

/**
 * Warns about entries that another entry already covers. Each kind of entry is asked only of the
 * entries that can cover it, so an exact `https://example.com:*` never makes
 * `https://*.example.com` look covered (it allows the apex, not the subdomains).
 */
function* reportRedundantOrigins(
  patterns: readonly (OriginPattern | undefined)[],
  texts: readonly string[],
  indexes: readonly number[],
  issues: ConfigIssue[],
): Generator<void, void, void> {
  const wildcards: OriginPattern[] = [];
  const anyPortWildcards: OriginPattern[] = [];
  const anyPortWildcardApexes = new Set<string>();
  const anyPortHosts = new Set<string>();
  let anyText = false;
  for (const p of patterns) {
    if (p === undefined) continue; // an exact origin
    if (p.kind === 'any') anyText = true;
    if (p.kind !== 'origin') continue;
    if (p.subdomains) {
      wildcards.push(p);
      if (p.port === 'any') {
        anyPortWildcards.push(p);
        anyPortWildcardApexes.add(`${p.scheme}://${p.host}`);
      }
    } else if (p.port === 'any') anyPortHosts.add(`${p.scheme}://${p.host}`);
  }
  if (!anyText && wildcards.length === 0 && anyPortHosts.size === 0) return;
  // Exact origins are covered by a wildcard or a :* host; wildcards only by wildcards.
  const byWildcard = new OriginMatcher(wildcards);
  const byAnyPortWildcard = anyPortWildcards.length > 0 ? new OriginMatcher(anyPortWildcards) : undefined;
  for (let i = 0; i < patterns.length; i++) {
    if (i > 0 && i % SLICE_ENTRIES === 0) yield;
    const text = texts[i]!;
    const p = patterns[i] ?? exactPatternOf(text);
    if (p.kind === 'any') continue;
    const index = indexes[i]!;
    let by: string | undefined;
    if (anyText) by = '"*"';
    else if (p.kind === 'origin') {
      const apex = `${p.scheme}://${p.host}`;
      const port = p.port === null || p.port === 'any' ? '' : `:${p.port}`;
      const underAnyPortWildcard = () => byAnyPortWildcard?.match(apex) === 'allowed';
      let covered: boolean;
      if (!p.subdomains && p.port !== 'any')
        covered = anyPortHosts.has(apex) || byWildcard.match(apex + port) === 'allowed';
      else if (!p.subdomains || p.port === 'any') covered = underAnyPortWildcard();
      else covered = byWildcard.match(apex + port) === 'allowed' || anyPortWildcardApexes.has(apex);
      if (covered) by = 'a broader entry';
    }
    if (by !== undefined) {
      issues.push(
        issue('CG_ORIGIN_REDUNDANT', ['origins', index], text, `"${text}" is already covered by ${by}`),
      );
    }
  }
}

const MAX_DETAIL_LENGTH = 256;
/** ACRH values remembered per policy, and the longest value remembered (browsers send short ones). */
const ACRH_CACHE_SIZE = 512;
const ACRH_CACHE_MAX_KEY = 256;

/** The outcome of checking one ACRH value: a refusal reason, or the ACAH value to send (if any). */
type AcrhVerdict =
  | {
      readonly reason: 'headers-malformed' | 'headers-too-large' | 'headers-not-allowed';
      readonly detail: string;
      readonly acah: undefined;
    }
  | { readonly reason: undefined; readonly detail: undefined; readonly acah: string | undefined };
const NO_HEADERS: AcrhVerdict = Object.freeze({ reason: undefined, detail: undefined, acah: undefined });

/** An immutable, compiled policy. Build it with `createPolicy`. */
export class Policy {
  /** The warnings found while compiling (errors throw). */
  readonly warnings: readonly ConfigIssue[];
  private readonly compiled: Compiled;
  private readonly matcher: OriginMatcher;
  private readonly credentials: boolean;
  /** `*` without credentials: ACAO `*` on every response and no Vary (R24). */
  private readonly anyAnonymous: boolean;
  private readonly exposeValue: string | undefined;
  private readonly maxAgeValue: string | undefined;
  private readonly preflightStatus: number;
  private readonly acrhCache = new Map<string, AcrhVerdict>();

  /** @internal Use `createPolicy`. */
  constructor(compiled: Compiled, issues: readonly ConfigIssue[]) {
    this.compiled = compiled;
    this.warnings = Object.freeze(issues.filter((i) => i.severity === 'warning'));
    this.matcher = compiled.matcher;
    this.credentials = compiled.normalised.credentials;
    this.anyAnonymous = this.matcher.any && !this.credentials;
    const expose = compiled.normalised.exposeHeaders;
    this.exposeValue = expose.length > 0 ? expose.join(', ') : undefined;
    this.maxAgeValue =
      compiled.normalised.maxAge === undefined ? undefined : String(compiled.normalised.maxAge);
    this.preflightStatus = compiled.normalised.preflightStatus;
  }

  /** The normalised configuration in force: a fresh, JSON-serialisable object. */
  config(): NormalisedCorsConfig {
    // Plain copies of the arrays of strings: the same fresh object as `structuredClone`, without
    // its serialise-everything cost (≈ 26 ms on 100,000 origins).
    const n = this.compiled.normalised;
    return {
      ...n,
      origins: n.origins.slice(),
      methods: n.methods.slice(),
      requestHeaders: n.requestHeaders.slice(),
      exposeHeaders: n.exposeHeaders.slice(),
    };
  }

  /** True when responses depend on `Origin` (everything but `*` without credentials). */
  get variesByOrigin(): boolean {
    return !this.anyAnonymous;
  }

  /**
   * Decides one request. Never throws; returns fresh objects every time.
   * @example
   * policy.evaluate({ method: 'OPTIONS', origin: 'https://app.example.com', accessControlRequestMethod: 'PUT' })
   * // { kind: 'preflight', allowed: true, status: 204, headers: {…}, vary: ['Origin'], reason: 'origin-allowed' }
   */
  evaluate(request: RequestFacts): Decision {
    const originLines = request.origin;
    let origin: string | undefined;
    let multiple = false;
    if (typeof originLines === 'string') origin = originLines;
    else if (originLines !== undefined && originLines.length > 0) {
      origin = originLines[0];
      multiple = originLines.length > 1;
    }
    const acrm = request.accessControlRequestMethod;
    // R2: a preflight is OPTIONS with Origin and Access-Control-Request-Method; any other OPTIONS
    // is an ordinary request for the application.
    const preflight =
      origin !== undefined &&
      request.method === 'OPTIONS' &&
      acrm !== undefined &&
      (typeof acrm === 'string' || acrm.length > 0);

    if (!preflight && this.anyAnonymous) return this.anyActual(origin === undefined ? 'not-cors' : 'actual');
    if (origin === undefined) return this.passThrough('not-cors');
    if (multiple)
      return preflight
        ? this.refusePreflight('origin-multiple', undefined)
        : this.refuseActual('origin-multiple');
    if (this.isSameOrigin(origin, request)) return this.passThrough('same-origin');

    const match = this.matcher.match(origin);
    if (!preflight)
      return match === 'allowed' ? this.allowActual(origin) : this.refuseActual(reasonOf(match), origin);
    if (match !== 'allowed') return this.refusePreflight(reasonOf(match), origin);
    return this.preflight(origin, request);
  }

  private preflight(origin: string, request: RequestFacts): Decision {
    const acrm = request.accessControlRequestMethod!;
    const method = typeof acrm === 'string' ? acrm : acrm.length === 1 ? acrm[0]! : undefined;
    // R7: ACRM is a single token, compared case-sensitively (`patch` is not `PATCH`).
    if (method === undefined || !isToken(method))
      return this.refusePreflight('method-malformed', String(acrm), origin);
    const safelisted = SAFELISTED_METHODS.has(method);
    if (
      !safelisted &&
      !this.compiled.methods.has(method) &&
      !(this.compiled.anyMethod && !FORBIDDEN_METHODS.has(method.toUpperCase()))
    ) {
      return this.refusePreflight('method-not-allowed', method, origin);
    }
    // R16: safelisted methods need no Access-Control-Allow-Methods; otherwise echo only the one
    // requested, disclosing nothing else (jub0bs/cors processACRM).
    const acam = safelisted ? undefined : method;

    let acah: string | undefined;
    const acrh = request.accessControlRequestHeaders;
    if (acrh !== undefined && (typeof acrh !== 'string' || acrh.length > 0)) {
      const verdict =
        typeof acrh === 'string' && acrh.length <= ACRH_CACHE_MAX_KEY
          ? this.cachedAcrh(acrh)
          : this.checkAcrh(acrh);
      if (verdict.reason !== undefined)
        return this.refusePreflight(verdict.reason, verdict.detail, origin, acam);
      acah = verdict.acah;
    }

    const headers: Record<string, string> = { [ACAO]: this.anyAnonymous ? '*' : origin };
    if (this.credentials) headers[ACAC] = 'true';
    if (acam !== undefined) headers[ACAM] = acam;
    if (acah !== undefined) headers[ACAH] = acah;
    if (this.maxAgeValue !== undefined) headers[ACMA] = this.maxAgeValue;
    const acrpn = request.accessControlRequestPrivateNetwork;
    if (
      this.compiled.normalised.privateNetwork &&
      (acrpn === 'true' || (Array.isArray(acrpn) && acrpn.length === 1 && acrpn[0] === 'true'))
    ) {
      headers[ACAPN] = 'true';
    }
    return {
      kind: 'preflight',
      allowed: true,
      status: this.preflightStatus,
      headers,
      vary: this.anyAnonymous ? [] : ['Origin'],
      reason: this.anyAnonymous ? 'any-origin' : 'origin-allowed',
    };
  }

  /**
   * The verdict on one ACRH value. Browsers send the same few values over and over (R5: one
   * canonical form per set of names), and the verdict depends only on the value and this
   * immutable policy, so short single-line values are remembered in a bounded map.
   */
  private cachedAcrh(acrh: string): AcrhVerdict {
    let verdict = this.acrhCache.get(acrh);
    if (verdict === undefined) {
      verdict = this.checkAcrh(acrh);
      // Bounded: a client cycling through distinct values only ever costs a clear.
      if (this.acrhCache.size >= ACRH_CACHE_SIZE) this.acrhCache.clear();
      this.acrhCache.set(acrh, verdict);
    }
    return verdict;
  }

  private checkAcrh(acrh: string | readonly string[]): AcrhVerdict {
    const parsed = parseAcrh(acrh);
    if (!parsed.ok) return { reason: parsed.reason, detail: parsed.detail, acah: undefined };
    const denied = firstDisallowedHeader(parsed.names, this.compiled.requestHeaders);
    if (denied !== undefined) return { reason: 'headers-not-allowed', detail: denied, acah: undefined };
    if (parsed.names.length === 0) return NO_HEADERS;
    const acah = parsed.canonical ? (typeof acrh === 'string' ? acrh : acrh[0]!) : parsed.names.join(',');
    return { reason: undefined, detail: undefined, acah };
  }

  /**
   * A refused preflight: 403 and no CORS headers. In debug mode, an ok status and the headers
   * that did pass, so the browser console names the check that failed (the method, the header, or
   * the origin) instead of "does not have HTTP ok status" (jub0bs/cors debug mode).
   * @param passedOrigin the origin, when it passed the allowlist
   * @param acam the Access-Control-Allow-Methods value, when the method passed
   */
  private refusePreflight(
    reason: ReasonCode,
    detail: string | undefined,
    passedOrigin?: string,
    acam?: string,
  ): Decision {
    const debug = this.compiled.normalised.debug;
    const headers: Record<string, string> = {};
    if (debug && passedOrigin !== undefined) {
      headers[ACAO] = this.anyAnonymous ? '*' : passedOrigin;
      if (this.credentials) headers[ACAC] = 'true';
      if (acam !== undefined) headers[ACAM] = acam;
    }
    return {
      kind: 'preflight',
      allowed: false,
      status: debug ? this.preflightStatus : 403,
      headers,
      vary: this.anyAnonymous ? [] : ['Origin'],
      reason,
      ...(detail === undefined ? {} : { detail: clip(detail) }),
    };
  }

  private allowActual(origin: string): Decision {
    const headers: Record<string, string> = { [ACAO]: origin };
    if (this.credentials) headers[ACAC] = 'true';
    if (this.exposeValue !== undefined) headers[ACEH] = this.exposeValue;
    return {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers,
      vary: ['Origin'],
      reason: 'origin-allowed',
    };
  }

  private anyActual(kind: 'actual' | 'not-cors'): Decision {
    const headers: Record<string, string> = { [ACAO]: '*' };
    if (this.exposeValue !== undefined) headers[ACEH] = this.exposeValue;
    return {
      kind,
      allowed: true,
      status: undefined,
      headers,
      vary: [],
      reason: kind === 'not-cors' ? 'not-cors' : 'any-origin',
    };
  }

  private refuseActual(reason: ReasonCode, origin?: string): Decision {
    return {
      kind: 'actual',
      allowed: false,
      status: undefined,
      headers: {},
      vary: ['Origin'],
      reason,
      ...(origin === undefined ? {} : { detail: clip(origin) }),
    };
  }

  private passThrough(kind: 'not-cors' | 'same-origin'): Decision {
    return { kind, allowed: true, status: undefined, headers: {}, vary: ['Origin'], reason: kind };
  }

  private isSameOrigin(origin: string, request: RequestFacts): boolean {
    if (request.secFetchSite === 'same-origin') return true;
    const { host, scheme } = request;
    if (host === undefined || scheme === undefined || host.length === 0) return false;
    // Fast path: browsers write Host as the origin writes it. The lengths match and both ends
    // match, so the origin is exactly `scheme://host` only if "://" sits between them.
    if (
      origin.length === scheme.length + 3 + host.length &&
      origin.startsWith(scheme) &&
      origin.startsWith('://', scheme.length) &&
      origin.endsWith(host)
    ) {
      return true;
    }
    const lowerHost = host.toLowerCase();
    const defaultPort = DEFAULT_PORTS[scheme];
    const bareHost =
      defaultPort !== undefined && lowerHost.endsWith(`:${defaultPort}`)
        ? lowerHost.slice(0, -String(defaultPort).length - 1)
        : lowerHost;
    return origin === `${scheme}://${bareHost}`;
  }
}

function reasonOf(match: OriginMatch): ReasonCode {
  switch (match) {
    case 'malformed':
      return 'origin-malformed';
    case 'null-not-allowed':
      return 'origin-null';
    default:
      return 'origin-not-allowed';
  }
}

function clip(value: string): string {
  return value.length > MAX_DETAIL_LENGTH ? `${value.slice(0, MAX_DETAIL_LENGTH)}…` : value;
}
