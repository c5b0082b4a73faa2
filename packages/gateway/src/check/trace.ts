/**
 * The shapes `checkRequest` takes and returns: what a browser would do for one cross-origin
 * request, as plain data (printed by `corsgate check`, serialised by `--json`).
 */
import type { AddressSpace, Browser, HeaderPair } from '../browser-model/index.js';
import { CATALOGUE, type ClassId } from '../catalogue/classes.js';
import type { Finding } from '../catalogue/finding.js';
import type { ExchangeTrace } from '../probe/trace.js';

export type { ExchangeTrace } from '../probe/trace.js';

export interface CheckOptions {
  readonly url: string;
  /** The page's origin, exactly as its `Origin` header (see `corsgate origin`), or `null`. */
  readonly origin: string;
  /** Default GET. Normalised as a browser does (R7). */
  readonly method?: string;
  /** Headers the script sets, in order. Forbidden ones are dropped, as a browser silently does. */
  readonly headers?: readonly HeaderPair[];
  /** `credentials: 'include'` (or `withCredentials`). Default false. */
  readonly credentials?: boolean;
  /** Default chromium. */
  readonly browser?: Browser;
  /**
   * Where the page is served from, for Chromium's Local Network Access (docs/failures.md "Not
   * CORS"): `public` with a loopback or private URL adds its warning. Default: read from an
   * IP-literal origin, else unknown (no warning).
   */
  readonly pageAddressSpace?: AddressSpace;
  /** A deadline for each whole exchange (status, headers and body), not an idle timer. Default 10000 ms. */
  readonly timeoutMs?: number;
  /**
   * Probe a GET/HEAD again without Origin and with another origin to see whether the answer
   * depends on Origin (for the missing-Vary check). Never done for other methods, which may have
   * side effects. Default true.
   */
  readonly probeVary?: boolean;
  /**
   * When the request is allowed with credentials, send the scan's reflection and `null` probes
   * (the checked request's preflight, or a GET) to see whether the server trusts any origin, or
   * every opaque one, too. Default true.
   */
  readonly probeOverTrust?: boolean;
}

export type StepStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface TraceStep {
  readonly phase: 'input' | 'preflight' | 'actual' | 'exposure';
  readonly status: StepStatus;
  /** The rule id in docs/rules.md. */
  readonly rule?: string;
  /** On a failing step: its failure class (docs/failures.md), the id scan, explain and SARIF use. */
  readonly classId?: ClassId;
  readonly message: string;
  readonly header?: string;
  readonly value?: string | null;
  readonly fix?: string;
}

/** The catalogue classes `check` flags from a response even when this request happens to pass. */
export const MISTAKE_CODES = [
  'vary-missing',
  'acao-duplicate',
  'acao-trailing-slash',
  'preflight-auth',
  'preflight-redirect',
  'wildcard-with-credentials',
] as const satisfies readonly ClassId[];
export type MistakeCode = (typeof MISTAKE_CODES)[number];

/** Each mistake's title, from the catalogue (catalogue/classes.ts, docs/failures.md). */
export const MISTAKES: Readonly<Record<MistakeCode, string>> = Object.fromEntries(
  MISTAKE_CODES.map((code): [string, string] => [code, CATALOGUE[code].title]),
) as Record<MistakeCode, string>;

export interface Mistake {
  readonly code: MistakeCode;
  readonly phase: 'preflight' | 'actual';
  readonly header?: string;
  readonly value?: string | null;
  readonly message: string;
  readonly fix: string;
}

/** One redirect hop after the first request: where it went, with which Origin, what came back. */
export interface RedirectHop {
  readonly url: string;
  /** The Origin sent on this hop: the page's, or "null" once the chain is redirect-tainted (R26). */
  readonly origin: string;
  readonly method: string;
  preflight?: ExchangeTrace;
  actual?: ExchangeTrace;
}

export interface CheckInput {
  readonly url: string;
  readonly origin: string;
  readonly method: string;
  readonly headers: readonly HeaderPair[];
  readonly credentials: boolean;
  readonly browser: Browser;
}

export interface CheckTrace {
  readonly input: CheckInput;
  /** `allowed`: the script gets the response; `blocked`: a network error; `error`: bad input or unreachable. */
  readonly verdict: 'allowed' | 'blocked' | 'error';
  readonly sameOrigin: boolean;
  readonly preflight: {
    readonly needed: boolean;
    readonly reasons: readonly string[];
    /** The ACRH value sent, or null when none. */
    readonly requestHeaders: string | null;
    readonly exchange?: ExchangeTrace;
    /** Seconds the browser would cache a successful preflight. */
    readonly cacheSeconds?: number;
  };
  /** The first request (the actual one; its preflight is under `preflight`). */
  readonly actual?: ExchangeTrace;
  /** Every redirect the browser followed after it, in order (R25, R26). */
  readonly redirects?: readonly RedirectHop[];
  readonly steps: readonly TraceStep[];
  readonly mistakes: readonly Mistake[];
  /** Lower-case names the script can read from the actual response (R22/R23). */
  readonly readableHeaders: readonly string[];
  readonly error?: { readonly code: 'bad-input' | 'unreachable'; readonly message: string };
  /**
   * Present when the over-trust probes ran (allowed with credentials): what else the server
   * trusts that it should not (`origin-reflected`, `null-trusted`), each with its proof.
   */
  readonly overTrust?: readonly Finding[];
}
