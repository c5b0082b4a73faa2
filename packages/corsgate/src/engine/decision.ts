/**
 * What the engine hands to every way in: plain request facts in, a `Decision` out.
 */

/** The facts of one request that CORS depends on. Header values are as received. */
export interface RequestFacts {
  readonly method: string;
  /** Every `Origin` line (an array when the transport keeps them apart), or undefined when absent. */
  readonly origin?: string | readonly string[] | undefined;
  readonly accessControlRequestMethod?: string | readonly string[] | undefined;
  /** Every `Access-Control-Request-Headers` line. */
  readonly accessControlRequestHeaders?: string | readonly string[] | undefined;
  readonly accessControlRequestPrivateNetwork?: string | readonly string[] | undefined;
  /** The `Host` header (or :authority), used only to recognise same-origin requests. */
  readonly host?: string | undefined;
  /** `http` or `https`: the scheme the client used to reach this server. */
  readonly scheme?: string | undefined;
  readonly secFetchSite?: string | undefined;
}

export type DecisionKind = 'preflight' | 'actual' | 'same-origin' | 'not-cors';

/** Why a decision came out as it did. Closed set; `REASONS` explains each. */
export const REASONS = {
  'not-cors': 'The request has no Origin header, so it is not a CORS request; nothing to add.',
  'same-origin':
    'The Origin is the server’s own origin: one of publicOrigins when set (or Sec-Fetch-Site: same-origin about a public host), else Host and scheme, or Sec-Fetch-Site: same-origin.',
  'origin-allowed': 'The origin is on the allowlist.',
  'any-origin': 'The policy allows every origin (*) without credentials.',
  'origin-not-allowed': 'The origin is well formed but not on the allowlist.',
  'origin-malformed':
    'The Origin value is not a serialized origin as browsers send it (upper case, trailing slash, default port, path, or over-long).',
  'origin-multiple': 'The request has more than one Origin line; browsers send exactly one.',
  'origin-null':
    'The origin is "null" (a sandboxed iframe, a data: URL or a file: page), which the policy does not allow.',
  'method-malformed': 'Access-Control-Request-Method is not a single HTTP method token.',
  'method-not-allowed': 'The requested method is not one the policy allows.',
  'headers-malformed': 'Access-Control-Request-Headers is not a list of header names.',
  'headers-too-large':
    'Access-Control-Request-Headers is longer than any browser sends; refused before scanning.',
  'headers-not-allowed': 'A requested header is not one the policy allows.',
} as const;

export type ReasonCode = keyof typeof REASONS;

export interface Decision {
  readonly kind: DecisionKind;
  readonly allowed: boolean;
  /** The status to answer a preflight with (204 or 200 allowed, 403 refused); undefined otherwise. */
  readonly status: number | undefined;
  /** The exact response headers to set (replacing any of the same name). A fresh object. */
  readonly headers: Record<string, string>;
  /** Tokens to append to `Vary` (never replace it). */
  readonly vary: readonly string[];
  readonly reason: ReasonCode;
  /** The offending value for a refusal: the method, the header name, or the origin. */
  readonly detail?: string;
  /**
   * A refused preflight from an allowed origin: everything the policy lacks for it at once, the
   * method (when not allowed) and every requested header not allowed (lower case, as requested),
   * so one fix covers the request (docs/engine.md "Reason codes").
   */
  readonly missing?: MissingItems;
}

/** What a refused preflight asked for that the policy does not allow. */
export interface MissingItems {
  /** The requested method, when the policy does not allow it. */
  readonly method?: string;
  /** Each requested header the policy does not allow, in request order. */
  readonly headers: readonly string[];
}

export const ACAO = 'Access-Control-Allow-Origin';
export const ACAC = 'Access-Control-Allow-Credentials';
export const ACAM = 'Access-Control-Allow-Methods';
export const ACAH = 'Access-Control-Allow-Headers';
export const ACMA = 'Access-Control-Max-Age';
export const ACEH = 'Access-Control-Expose-Headers';
export const ACAPN = 'Access-Control-Allow-Private-Network';
