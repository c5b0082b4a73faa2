/**
 * The compiled policy as a small intermediate form an edge can express with plain directives
 * (docs/nginx.md "What is exportable"): per policy scope (the base policy, and each route's) exact
 * origins, anchored expressions for `*.` and `:*` entries and the preflight answers; the routes as
 * anchored path expressions in the gateway's order; the block rule. A configuration whose
 * decisions no plain directive can reproduce is refused with a stable code, never exported to
 * decide differently.
 */
import {
  type CorsConfig,
  CorsConfigError,
  createPolicy,
  type NormalisedCorsConfig,
  parseOriginPattern,
} from 'corsgate';
import type { RouteConfig } from '../config/types.js';
import { escapeRegex, patternRegex } from './origin-regex.js';

/** Why a configuration is not exported; each documented in docs/errors.md (a test checks both ways). */
export const EXPORT_CODES = {
  CG_EXPORT_ANY_ORIGIN: { severity: 'error', summary: 'the list allows every origin (*)' },
  CG_EXPORT_WILDCARD_LIST: { severity: 'error', summary: 'methods or requestHeaders is *' },
  CG_EXPORT_DEBUG: { severity: 'error', summary: 'the policy sets debug' },
  CG_EXPORT_TOO_MANY_HEADERS: { severity: 'error', summary: 'more than 128 request headers' },
  CG_EXPORT_ROUTE_PATH: {
    severity: 'error',
    summary: 'a route path holds a character other than letters, digits, "-", ".", "_", "~" and "/"',
  },
  CG_EXPORT_ESCAPED_PATHS: { severity: 'error', summary: 'escapedPaths is unescape' },
  CG_EXPORT_UPSTREAM_PATH: {
    severity: 'error',
    summary: 'the upstream URL path holds a character other than letters, digits, "-", ".", "_", "~" and "/"',
  },
} as const;

export type ExportCode = keyof typeof EXPORT_CODES;

export interface ExportRefusal {
  readonly code: ExportCode;
  readonly message: string;
}

/** One policy's decisions (the base policy, or a route's); every string validated by the engine. */
export interface ScopePlan {
  /** Exact origins (canonical texts), compared case-sensitively. */
  readonly exactOrigins: readonly string[];
  /** Anchored expressions, one per `*.` or `:*` entry. */
  readonly originRegexes: readonly string[];
  readonly allowNull: boolean;
  readonly credentials: boolean;
  /** Listed methods beyond GET, HEAD and POST, case-sensitive. */
  readonly methods: readonly string[];
  /** The request headers allowed (lower case), checked in njs (export/njs.ts). */
  readonly requestHeaders: readonly string[];
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string | undefined;
  readonly preflightStatus: number;
  readonly privateNetwork: boolean;
}

/** A route: the anchored expression of the normalised paths it matches, and its policy. */
export interface RoutePlan {
  /** As written in the configuration (`/api/*`), for comments. */
  readonly path: string;
  /** Matched against nginx's normalised `$uri` (docs/nginx.md "Routes"). */
  readonly pathRegex: string;
  readonly caseSensitive: boolean;
  readonly stripCookies: boolean;
  readonly scope: ScopePlan;
}

/** Everything a writer needs. */
export interface ExportPlan {
  readonly base: ScopePlan;
  /** In the gateway's order: the first that matches decides. */
  readonly routes: readonly RoutePlan[];
  /** `publicOrigins`: the application's own origins (same-origin, passed through). */
  readonly ownOrigins: readonly string[];
  /** `host[:port]` of each own origin, for `Sec-Fetch-Site: same-origin` (compared ignoring case). */
  readonly ownHosts: readonly string[];
  /** Refused origins' state-changing requests are answered 403 (off in report-only). */
  readonly block: boolean;
  /** `scheme://host[:port]` of the upstream. */
  readonly upstream: string;
  /** The upstream URL's path, put before every forwarded path (no trailing slash; often ''). */
  readonly upstreamPath: string;
  /**
   * Repeated header lines read in njs (the default). Without it (`--dangerously-without-njs`),
   * the first line decides and only canonical request-header lists are allowed (docs/nginx.md).
   */
  readonly njs: boolean;
}

export interface PlanInput {
  readonly policy: NormalisedCorsConfig;
  readonly publicOrigins: readonly string[];
  readonly reportOnly: boolean;
  readonly routes: readonly RouteConfig[];
  readonly caseSensitiveRoutes: boolean;
  readonly escapedPaths: 'reject' | 'unescape';
  readonly upstream: string;
  readonly upstreamPath: string;
  readonly njs: boolean;
}

const MAX_ACRH_NAMES = 128;
/** Unreserved characters and `/`: what nginx's decoded `$uri` and the gateway's path spell alike. */
const PLAIN_PATH = /^[A-Za-z0-9._~/-]*$/;

function policyRefusals(policy: NormalisedCorsConfig, where: string): ExportRefusal[] {
  const out: ExportRefusal[] = [];
  if (policy.origins.includes('*'))
    out.push({
      code: 'CG_EXPORT_ANY_ORIGIN',
      message: `${where}allows every origin (*): the engine still refuses a preflight from a malformed Origin, which needs a full origin parser (IPv6 included) that plain nginx directives cannot express`,
    });
  if (policy.methods.includes('*') || policy.requestHeaders.includes('*'))
    out.push({
      code: 'CG_EXPORT_WILDCARD_LIST',
      message: `${where}methods or requestHeaders is *: list the methods and request headers by name to export`,
    });
  if (policy.debug)
    out.push({
      code: 'CG_EXPORT_DEBUG',
      message: `${where}debug adds partial headers to refused preflights; turn it off to export`,
    });
  if (new Set(policy.requestHeaders.map((h) => h.toLowerCase())).size > MAX_ACRH_NAMES)
    out.push({
      code: 'CG_EXPORT_TOO_MANY_HEADERS',
      message: `${where}more than ${MAX_ACRH_NAMES} request headers: the engine refuses longer lists than a canonical expression can bound`,
    });
  return out;
}

function pathRefusals(input: PlanInput): ExportRefusal[] {
  const out: ExportRefusal[] = [];
  if (input.escapedPaths === 'unescape')
    out.push({
      code: 'CG_EXPORT_ESCAPED_PATHS',
      message:
        'escapedPaths is unescape: the gateway then splits paths at %5C as at "/", nginx decodes %5C to a backslash inside a segment, so the two would pick different routes; use reject (the default)',
    });
  for (const r of input.routes)
    if (!PLAIN_PATH.test(r.match))
      out.push({
        code: 'CG_EXPORT_ROUTE_PATH',
        message: `route ${r.path}: nginx matches locations on its fully decoded path, the gateway on one where only letters, digits and "-._~" are decoded; a route path made of those and "/" is matched alike`,
      });
  if (!PLAIN_PATH.test(input.upstreamPath))
    out.push({
      code: 'CG_EXPORT_UPSTREAM_PATH',
      message: `the upstream path ${input.upstreamPath} would be escaped again by nginx; use one made of letters, digits, "-._~" and "/"`,
    });
  return out;
}

function scopePlan(policy: NormalisedCorsConfig): ScopePlan {
  const exactOrigins: string[] = [];
  const originRegexes: string[] = [];
  let allowNull = false;
  for (const entry of policy.origins) {
    const parsed = parseOriginPattern(entry);
    if (!parsed.ok) continue; // the engine compiled this list: every entry parses
    const p = parsed.pattern;
    if (p.kind === 'null') allowNull = true;
    else if (p.kind === 'origin' && !p.subdomains && p.port !== 'any') exactOrigins.push(parsed.text);
    else if (p.kind === 'origin') originRegexes.push(patternRegex(p));
  }
  const names = policy.requestHeaders.map((h) => h.toLowerCase());
  return {
    exactOrigins,
    originRegexes,
    allowNull,
    credentials: policy.credentials,
    methods: policy.methods,
    requestHeaders: [...new Set(names)],
    exposeHeaders: policy.exposeHeaders.length > 0 ? policy.exposeHeaders.join(', ') : undefined,
    maxAge: policy.maxAge === undefined ? undefined : String(policy.maxAge),
    preflightStatus: policy.preflightStatus,
    privateNetwork: policy.privateNetwork,
  };
}

/**
 * The expression of the normalised paths a route matches, as the gateway's route table does
 * (decide/routes.ts): `/p/*` matches `/p/…` and `/p`; `/p` matches `/p` and `/p/`.
 */
export function routePathRegex(route: Pick<RouteConfig, 'match' | 'prefix'>): string {
  if (route.prefix) {
    const dir = route.match.slice(0, -1);
    return dir === '' ? '^/' : `^${escapeRegex(dir)}(?:/|$)`;
  }
  return `^${escapeRegex(route.match)}/?$`;
}

/**
 * The route's policy as the gateway compiles it (decide/routes.ts): its own origins, or the
 * list's; a route that cannot compile against this list fails closed, allowing no origin.
 */
function routePolicy(route: RouteConfig, listOrigins: readonly string[]): NormalisedCorsConfig {
  try {
    return createPolicy({ ...route.policy, origins: route.origins ?? listOrigins } as CorsConfig).config();
  } catch (error) {
    if (!(error instanceof CorsConfigError)) throw error;
    return createPolicy({}).config();
  }
}

export function buildPlan(
  input: PlanInput,
): { ok: true; plan: ExportPlan } | { ok: false; refusals: ExportRefusal[] } {
  const refused = [...policyRefusals(input.policy, 'the list '), ...pathRefusals(input)];
  const routePolicies = input.routes.map((r) => routePolicy(r, input.policy.origins));
  for (const [i, r] of input.routes.entries())
    refused.push(...policyRefusals(routePolicies[i]!, `route ${r.path}: `));
  if (refused.length > 0) return { ok: false, refusals: refused };
  return {
    ok: true,
    plan: {
      base: scopePlan(input.policy),
      routes: input.routes.map((r, i) => ({
        path: r.path,
        pathRegex: routePathRegex(r),
        caseSensitive: input.caseSensitiveRoutes,
        stripCookies: r.stripCookies,
        scope: scopePlan(routePolicies[i]!),
      })),
      ownOrigins: input.publicOrigins,
      ownHosts: input.publicOrigins.map((o) => new URL(o).host),
      block: !input.reportOnly,
      upstream: input.upstream,
      upstreamPath: input.upstreamPath,
      njs: input.njs,
    },
  };
}
