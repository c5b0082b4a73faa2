/** The configuration `createPolicy` takes, and the normalised one a `Policy` reports. */

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
  /**
   * The origins the application is served from (`https://app.example.com`), exactly as browsers
   * send them. When set, same-origin is decided on these, never on `Host` (DNS rebinding): an
   * origin is the application's own when it is listed, or when the browser says
   * `Sec-Fetch-Site: same-origin` about a request to a listed origin's host. Default: not set,
   * same-origin is `Origin` equal to the request's scheme and `Host`, or `Sec-Fetch-Site: same-origin`.
   */
  readonly publicOrigins?: readonly string[];
}

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
  /** Present only when set. */
  publicOrigins?: string[];
}
