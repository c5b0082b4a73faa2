/**
 * The compiled policy as a small intermediate form an edge can express with plain directives
 * (docs/nginx.md "What is exportable"): exact origins, anchored expressions for `*.` and `:*`
 * entries, the preflight answers and the block rule. A policy whose decisions no plain directive
 * can reproduce is refused with a stable code, never exported to decide differently.
 */
import { type NormalisedCorsConfig, parseOriginPattern } from 'corsgate';
import { canonicalHeadersRegex, patternRegex } from './origin-regex.js';

/** Why a configuration is not exported; each documented in docs/errors.md (a test checks both ways). */
export const EXPORT_CODES = {
  CG_EXPORT_ANY_ORIGIN: { severity: 'error', summary: 'the list allows every origin (*)' },
  CG_EXPORT_WILDCARD_LIST: { severity: 'error', summary: 'methods or requestHeaders is *' },
  CG_EXPORT_DEBUG: { severity: 'error', summary: 'the policy sets debug' },
  CG_EXPORT_ROUTES: { severity: 'error', summary: 'the configuration has routes' },
  CG_EXPORT_TOO_MANY_HEADERS: { severity: 'error', summary: 'more than 128 request headers' },
} as const;

export type ExportCode = keyof typeof EXPORT_CODES;

export interface ExportRefusal {
  readonly code: ExportCode;
  readonly message: string;
}

/** Everything a writer needs; every string is already validated by the engine. */
export interface ExportPlan {
  /** Exact origins (canonical texts), compared case-sensitively. */
  readonly exactOrigins: readonly string[];
  /** Anchored expressions, one per `*.` or `:*` entry. */
  readonly originRegexes: readonly string[];
  readonly allowNull: boolean;
  /** `publicOrigins`: the application's own origins (same-origin, passed through). */
  readonly ownOrigins: readonly string[];
  /** `host[:port]` of each own origin, for `Sec-Fetch-Site: same-origin` (compared ignoring case). */
  readonly ownHosts: readonly string[];
  readonly credentials: boolean;
  /** Listed methods beyond GET, HEAD and POST, case-sensitive. */
  readonly methods: readonly string[];
  /** The anchored expression of the canonical ACRH values allowed; undefined when none is. */
  readonly requestHeadersRegex: string | undefined;
  readonly exposeHeaders: string | undefined;
  readonly maxAge: string | undefined;
  readonly preflightStatus: number;
  readonly privateNetwork: boolean;
  /** Refused origins' state-changing requests are answered 403 (off in report-only). */
  readonly block: boolean;
  readonly upstream: string;
}

export interface PlanInput {
  readonly policy: NormalisedCorsConfig;
  readonly publicOrigins: readonly string[];
  readonly reportOnly: boolean;
  readonly routes: number;
  readonly upstream: string;
}

const MAX_ACRH_NAMES = 128;

function refusals(input: PlanInput): ExportRefusal[] {
  const { policy } = input;
  const out: ExportRefusal[] = [];
  if (policy.origins.includes('*'))
    out.push({
      code: 'CG_EXPORT_ANY_ORIGIN',
      message:
        'the list allows every origin (*): the engine still refuses a preflight from a malformed Origin, which needs a full origin parser (IPv6 included) that plain nginx directives cannot express',
    });
  if (policy.methods.includes('*') || policy.requestHeaders.includes('*'))
    out.push({
      code: 'CG_EXPORT_WILDCARD_LIST',
      message: 'methods or requestHeaders is *: list the methods and request headers by name to export',
    });
  if (policy.debug)
    out.push({
      code: 'CG_EXPORT_DEBUG',
      message: 'debug adds partial headers to refused preflights; turn it off to export',
    });
  if (input.routes > 0)
    out.push({
      code: 'CG_EXPORT_ROUTES',
      message:
        'routes are not exported yet: nginx matches locations on its own normalised path, not on the path the gateway decides on',
    });
  if (new Set(policy.requestHeaders.map((h) => h.toLowerCase())).size > MAX_ACRH_NAMES)
    out.push({
      code: 'CG_EXPORT_TOO_MANY_HEADERS',
      message: `more than ${MAX_ACRH_NAMES} request headers: the engine refuses longer lists than a canonical expression can bound`,
    });
  return out;
}

export function buildPlan(
  input: PlanInput,
): { ok: true; plan: ExportPlan } | { ok: false; refusals: ExportRefusal[] } {
  const refused = refusals(input);
  if (refused.length > 0) return { ok: false, refusals: refused };
  const { policy } = input;
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
    ok: true,
    plan: {
      exactOrigins,
      originRegexes,
      allowNull,
      ownOrigins: input.publicOrigins,
      ownHosts: input.publicOrigins.map((o) => new URL(o).host),
      credentials: policy.credentials,
      methods: policy.methods,
      requestHeadersRegex: names.length === 0 ? undefined : canonicalHeadersRegex(names),
      exposeHeaders: policy.exposeHeaders.length > 0 ? policy.exposeHeaders.join(', ') : undefined,
      maxAge: policy.maxAge === undefined ? undefined : String(policy.maxAge),
      preflightStatus: policy.preflightStatus,
      privateNetwork: policy.privateNetwork,
      block: !input.reportOnly,
      upstream: input.upstream,
    },
  };
}
