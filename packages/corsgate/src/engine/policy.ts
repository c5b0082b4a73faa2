/**
 * `createPolicy(config)`: validate the whole configuration, collect every problem, compile it into
 * an immutable `Policy` whose `evaluate` only looks things up. The compile lives in `config/`, one
 * module per concern; this module builds the policy and evaluates requests. Rule ids (R2, R16…)
 * refer to docs/rules.md.
 */

import { disallowedHeaders, parseAcrh } from './acrh.js';
import { type Compiled, type CompileResult, compile, compileSteps } from './config/compile.js';
import type { CorsConfig, NormalisedCorsConfig } from './config/types.js';
import {
  ACAC,
  ACAH,
  ACAM,
  ACAO,
  ACAPN,
  ACEH,
  ACMA,
  type Decision,
  type MissingItems,
  type ReasonCode,
  type RequestFacts,
} from './decision.js';
import { type ConfigIssue, CorsConfigError } from './errors.js';
import { DEFAULT_PORTS, FORBIDDEN_METHODS, isToken, SAFELISTED_METHODS } from './fetch-spec.js';
import type { OriginMatch, OriginMatcher } from './matcher.js';

/** `:80` and `:443`: a `Host` that names its scheme's default port names the same origin without it. */
const DEFAULT_PORT_SUFFIXES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(DEFAULT_PORTS).map(([scheme, port]) => [scheme, `:${port}`]),
);

export { MAX_MAX_AGE } from './config/flags.js';
export { parseOriginEntry } from './config/origins.js';
export type { CorsConfig, NormalisedCorsConfig } from './config/types.js';

/**
 * The configuration without its origins, for a policy whose origins come from elsewhere: an
 * allowlist file (`watchAllowlist`, the adapters' `allowlist` option, the gateway) or a route.
 */
export type CorsConfigWithoutOrigins = Omit<CorsConfig, 'origins'>;

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
      /** With headers-not-allowed: every name refused. */
      readonly refused?: readonly string[];
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
  /** `publicOrigins`, when set: same-origin is then decided on these, never on `Host`. */
  private readonly publicOrigins: ReadonlySet<string> | undefined;
  /** The `Host` values of the public origins (lower case), for `Sec-Fetch-Site: same-origin`. */
  private readonly publicHosts: ReadonlySet<string> | undefined;

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
    this.publicOrigins = compiled.publicOrigins.origins;
    this.publicHosts = compiled.publicOrigins.hosts;
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
      ...(n.publicOrigins === undefined ? {} : { publicOrigins: n.publicOrigins.slice() }),
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
    const methodAllowed =
      safelisted ||
      this.compiled.methods.has(method) ||
      (this.compiled.anyMethod && !FORBIDDEN_METHODS.has(method.toUpperCase()));
    // R16: safelisted methods need no Access-Control-Allow-Methods; otherwise echo only the one
    // requested, disclosing nothing else (jub0bs/cors processACRM).
    const acam = safelisted ? undefined : method;

    const acrh = request.accessControlRequestHeaders;
    const verdict =
      acrh === undefined || (typeof acrh === 'string' && acrh.length === 0)
        ? NO_HEADERS
        : typeof acrh === 'string' && acrh.length <= ACRH_CACHE_MAX_KEY
          ? this.cachedAcrh(acrh)
          : this.checkAcrh(acrh);
    // Every missing item at once (the method and each header), so one fix covers the request.
    if (!methodAllowed)
      return this.refusePreflight('method-not-allowed', method, origin, undefined, {
        method,
        headers: verdict.reason === 'headers-not-allowed' ? (verdict.refused ?? []) : [],
      });
    if (verdict.reason !== undefined)
      return this.refusePreflight(
        verdict.reason,
        verdict.detail,
        origin,
        acam,
        verdict.refused === undefined ? undefined : { headers: verdict.refused },
      );
    const acah = verdict.acah;

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
    const denied = disallowedHeaders(parsed.names, this.compiled.requestHeaders);
    if (denied.length > 0)
      return { reason: 'headers-not-allowed', detail: denied[0]!, acah: undefined, refused: denied };
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
   * @param missing every item the policy lacks for this request (the method, each header)
   */
  private refusePreflight(
    reason: ReasonCode,
    detail: string | undefined,
    passedOrigin?: string,
    acam?: string,
    missing?: MissingItems,
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
      ...(missing === undefined ? {} : { missing }),
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
    // Two literals rather than a spread: one object shape for each, built without a copy.
    if (origin === undefined)
      return { kind: 'actual', allowed: false, status: undefined, headers: {}, vary: ['Origin'], reason };
    return {
      kind: 'actual',
      allowed: false,
      status: undefined,
      headers: {},
      vary: ['Origin'],
      reason,
      detail: clip(origin),
    };
  }

  private passThrough(kind: 'not-cors' | 'same-origin'): Decision {
    return { kind, allowed: true, status: undefined, headers: {}, vary: ['Origin'], reason: kind };
  }

  private isSameOrigin(origin: string, request: RequestFacts): boolean {
    if (this.publicOrigins !== undefined) return this.isPublicOrigin(origin, request);
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
    const portSuffix = DEFAULT_PORT_SUFFIXES[scheme];
    const bareLength =
      portSuffix !== undefined && lowerHost.endsWith(portSuffix)
        ? lowerHost.length - portSuffix.length
        : lowerHost.length;
    // Most requests that get here are cross-origin: a length that differs settles it without
    // building `scheme://host`.
    if (origin.length !== scheme.length + 3 + bareLength) return false;
    return origin === `${scheme}://${lowerHost.slice(0, bareLength)}`;
  }

  /**
   * Same-origin with `publicOrigins` set: never by `Host` alone. A rebinding page's `Host` and
   * `Origin` name the attacker's host and its browser says `Sec-Fetch-Site: same-origin` (no script
   * can set that header), so the header is believed only about a request sent to a public host
   * (docs/middleware.md "Same-origin requests").
   */
  private isPublicOrigin(origin: string, request: RequestFacts): boolean {
    if (this.publicOrigins!.has(origin)) return true;
    if (request.secFetchSite !== 'same-origin') return false;
    const host = request.host;
    if (host === undefined) return false;
    const hosts = this.publicHosts!;
    return hosts.has(host) || hosts.has(host.toLowerCase());
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
