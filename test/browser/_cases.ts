/**
 * THE table: every case of the real-browser matrix, run unchanged against every way in. A row says
 * where the page is, what its script sends, which policy the way in enforces, and what the script
 * must observe. Ports are only known at run time, so origins are named by key.
 */
import type { CorsConfig } from 'corsgate';
import type { EngineName } from './_engine.js';
import type { Feature } from './_ways-in.js';

/** Page origins; every host resolves to 127.0.0.1 through --host-resolver-rules. */
export type PageKey =
  | 'app' // http://app.test:P1: allowed
  | 'appOtherPort' // http://app.test:P2: same host, other port
  | 'appTls' // https://app.test:PS: same host, https (allowed)
  | 'evil' // http://evil.test:P1: never allowed
  | 'sub' // http://sub.partner.test:P1: under the wildcard
  | 'deep' // http://a.b.partner.test:P1: two labels under the wildcard
  | 'apex' // http://partner.test:P1: the wildcard's apex
  | 'lookalike' // http://evilpartner.test:P1: no label boundary
  | 'suffixed'; // http://partner.test.evil.test:P1: the name as a prefix

export interface PagePorts {
  readonly http1: number;
  readonly http2: number;
  readonly https: number;
}

export function pageOrigin(key: PageKey, p: PagePorts): string {
  switch (key) {
    case 'app':
      return `http://app.test:${p.http1}`;
    case 'appOtherPort':
      return `http://app.test:${p.http2}`;
    case 'appTls':
      return `https://app.test:${p.https}`;
    case 'evil':
      return `http://evil.test:${p.http1}`;
    case 'sub':
      return `http://sub.partner.test:${p.http1}`;
    case 'deep':
      return `http://a.b.partner.test:${p.http1}`;
    case 'apex':
      return `http://partner.test:${p.http1}`;
    case 'lookalike':
      return `http://evilpartner.test:${p.http1}`;
    case 'suffixed':
      return `http://partner.test.evil.test:${p.http1}`;
  }
}

export type VariantKey = 'std' | 'noCache' | 'creds' | 'any' | 'nullOk' | 'debug' | 'reload';

/**
 * The policies. `std` is the workhorse: app (http), app (https) and a wildcard; four methods
 * beyond the safelisted ones; three request headers (not `accept`); one exposed header; cached
 * preflights.
 */
export function variantConfig(key: VariantKey, p: PagePorts): CorsConfig {
  const std: CorsConfig = {
    origins: [pageOrigin('app', p), pageOrigin('appTls', p), `http://*.partner.test:${p.http1}`],
    // PROPFIND is the custom method: Node's HTTP parser (llhttp) answers 400 to tokens outside its
    // fixed method list (FROB would pass the preflight and then fail in every Node way in).
    methods: ['PUT', 'DELETE', 'PATCH', 'PROPFIND'],
    requestHeaders: ['x-custom', 'authorization', 'content-type'],
    exposeHeaders: ['X-Exposed'],
    maxAge: 600,
  };
  switch (key) {
    case 'std':
      return std;
    case 'noCache':
      return { ...std, maxAge: 0 };
    case 'debug':
      return { ...std, debug: true };
    case 'nullOk':
      return { ...std, origins: [...(std.origins ?? []), 'null'], dangerouslyAllowNullOrigin: true };
    case 'creds':
      return {
        origins: [pageOrigin('app', p), pageOrigin('appTls', p)],
        credentials: true,
        // The test origins are plain http on names that are not loopback by name.
        dangerouslyAllowInsecureOrigins: true,
        methods: ['PUT'],
        requestHeaders: ['x-custom'],
        exposeHeaders: ['X-Exposed'],
        maxAge: 600,
      };
    case 'any':
      return { origins: ['*'], methods: ['PUT'], requestHeaders: ['*'], exposeHeaders: ['*'] };
    case 'reload':
      return { origins: [pageOrigin('app', p)], methods: ['PUT'], maxAge: 600 };
  }
}

export interface CaseRequest {
  readonly api?: 'fetch' | 'xhr';
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  readonly mode?: 'cors' | 'no-cors';
  /** Appended to the case's own path: `fail` makes the application drop the connection. */
  readonly path?: string;
  readonly query?: string;
}

/**
 * - `once`: one request.
 * - `twice`: the same request twice in a row (preflight caching).
 * - `cookie`: first a credentialed request on which the API sets `sid`, then the request.
 * - `reload`: the request once, then the page's origin is removed from the allowlist, then again.
 * - `form`: the page submits a cross-site HTML form (POST) to the API; a navigation, not a script.
 */
export type Scenario = 'once' | 'twice' | 'cookie' | 'reload' | 'form';

/** Where the script runs: the page itself, a sandboxed iframe in it, or a data: URL document. */
export type Context = 'page' | 'sandboxed-iframe' | 'data-url';

export interface Expectation {
  readonly outcome: 'resolved' | 'rejected';
  readonly status?: number;
  readonly type?: string;
  /** Header name → exact readable value, or null for "must not be readable". */
  readonly readable?: Readonly<Record<string, string | null>>;
  /** Fields of the JSON body the API echoed. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** OPTIONS requests that reached the way in (counted at the front door), over the whole scenario. */
  readonly preflights?: number;
  /** Requests of the case's method that reached the application, over the whole scenario. */
  readonly upstream?: number;
  /** A console message the page must log (checked where the driver sees the console: Chromium). */
  readonly console?: RegExp;
  /** The exact error a rejected fetch gives the script (`TypeError: …`), where a row pins it. */
  readonly error?: string;
}

/**
 * Where one engine does otherwise than the row's expectation: what it does, the rule it follows
 * or breaks, and the expectation for that engine (merged over the row's). The same difference is
 * in the browser model's profile for that engine and in docs/browsers.md.
 */
export interface EngineDifference {
  readonly difference: string;
  readonly rule: string;
  readonly expect?: Partial<Expectation>;
}

export interface Case {
  readonly id: string;
  /** A behaviour sentence. */
  readonly title: string;
  readonly variant: VariantKey;
  readonly page: PageKey;
  readonly context?: Context;
  readonly scenario?: Scenario;
  readonly request: CaseRequest;
  readonly expect: Expectation;
  /** Features the way in must have; otherwise this row is a gap for that way in. */
  readonly needs?: readonly Feature[];
  /** Why `corsgate check` cannot be asked about this row (not a CORS-mode fetch). */
  readonly noCheck?: string;
  /** Engines that do otherwise, measured (docs/browsers.md). */
  readonly engines?: Partial<Record<EngineName, EngineDifference>>;
}

/** The row's expectation in one engine. */
export function expectationIn(c: Case, engine: EngineName): Expectation {
  const own = c.engines?.[engine]?.expect;
  return own === undefined ? c.expect : { ...c.expect, ...own };
}

const ACCEPT_128 = `text/plain;q=0.9, ${'x'.repeat(128 - 'text/plain;q=0.9, '.length)}`;
const ACCEPT_129 = `${ACCEPT_128}y`;

const OK_JSON = { outcome: 'resolved', status: 200 } as const;
const REFUSED = { outcome: 'rejected' } as const;

export const CASES: readonly Case[] = [
  // Origins: host, port and scheme each vary.
  {
    id: 'allowed-origin',
    title: 'an allowed origin reads the response and the exposed header, not the others',
    variant: 'std',
    page: 'app',
    request: {},
    expect: {
      ...OK_JSON,
      readable: {
        'content-type': 'application/json; charset=utf-8',
        'x-exposed': 'yes',
        'x-hidden': null,
        vary: null,
      },
      body: { method: 'GET' },
      preflights: 0,
      upstream: 1,
    },
  },
  {
    id: 'allowed-origin-xhr',
    title: 'XMLHttpRequest from an allowed origin reads the exposed header, not the others',
    variant: 'std',
    page: 'app',
    request: { api: 'xhr' },
    expect: { ...OK_JSON, readable: { 'x-exposed': 'yes', 'x-hidden': null }, preflights: 0 },
  },
  {
    id: 'disallowed-origin',
    title: 'a disallowed origin cannot read the response',
    variant: 'std',
    page: 'evil',
    request: {},
    expect: { ...REFUSED, preflights: 0 },
  },
  {
    id: 'disallowed-origin-xhr',
    title: 'XMLHttpRequest from a disallowed origin gets an error and status 0',
    variant: 'std',
    page: 'evil',
    request: { api: 'xhr' },
    expect: { ...REFUSED, status: 0 },
  },
  {
    id: 'other-port',
    title: 'the allowed host on another port is another origin and is refused',
    variant: 'std',
    page: 'appOtherPort',
    request: {},
    expect: REFUSED,
  },
  {
    id: 'https-origin',
    title: 'the https origin listed by scheme is allowed',
    variant: 'std',
    page: 'appTls',
    request: {},
    expect: { ...OK_JSON, readable: { 'x-exposed': 'yes' } },
  },
  {
    id: 'https-origin-unlisted',
    title: 'an https origin whose http twin alone is listed is refused',
    variant: 'reload',
    page: 'appTls',
    request: {},
    expect: REFUSED,
  },
  // Wildcard subdomains.
  {
    id: 'wildcard-sub',
    title: 'a subdomain under the wildcard is allowed',
    variant: 'std',
    page: 'sub',
    request: {},
    expect: { ...OK_JSON, readable: { 'x-exposed': 'yes' } },
  },
  {
    id: 'wildcard-deep',
    title: 'a host two labels under the wildcard is allowed',
    variant: 'std',
    page: 'deep',
    request: { method: 'PUT' },
    expect: { ...OK_JSON, preflights: 1 },
  },
  {
    id: 'wildcard-apex',
    title: 'the wildcard’s apex is not covered by it',
    variant: 'std',
    page: 'apex',
    request: {},
    expect: REFUSED,
  },
  {
    id: 'lookalike',
    title: 'a look-alike host without a label boundary is refused',
    variant: 'std',
    page: 'lookalike',
    request: {},
    expect: REFUSED,
  },
  {
    id: 'suffixed',
    title: 'a host that starts with the wildcard’s domain is refused',
    variant: 'std',
    page: 'suffixed',
    request: {},
    expect: REFUSED,
  },
  // Simple requests: no preflight.
  {
    id: 'simple-post',
    title: 'a POST with a text/plain body is sent without a preflight',
    variant: 'std',
    page: 'app',
    request: { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: 'hello' },
    expect: { ...OK_JSON, body: { method: 'POST', body: 'hello' }, preflights: 0, upstream: 1 },
  },
  {
    id: 'accept-128',
    title: 'a 128-byte Accept is safelisted: no preflight',
    variant: 'std',
    page: 'app',
    request: { headers: { accept: ACCEPT_128 } },
    expect: { ...OK_JSON, preflights: 0 },
  },
  {
    id: 'accept-129',
    title: 'a 129-byte Accept needs a preflight, refused when accept is not an allowed header',
    variant: 'std',
    page: 'app',
    request: { headers: { accept: ACCEPT_129 } },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  // Preflighted methods.
  ...(['PUT', 'DELETE', 'PATCH', 'PROPFIND'] as const).map(
    (method): Case => ({
      id: `method-${method.toLowerCase()}`,
      title: `${method} from an allowed origin is preflighted and allowed`,
      variant: 'std',
      page: 'app',
      request: { method },
      expect: { ...OK_JSON, body: { method }, preflights: 1, upstream: 1 },
    }),
  ),
  {
    id: 'method-patch-lowercase',
    title: 'patch in lower case is another method (not normalised) and is refused',
    variant: 'std',
    page: 'app',
    request: { method: 'patch' },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  {
    id: 'method-unlisted',
    title: 'an unlisted method is refused at the preflight and never reaches the API',
    variant: 'std',
    page: 'app',
    request: { method: 'MOVE' },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  {
    id: 'method-disallowed-origin',
    title: 'a PUT from a disallowed origin is refused at the preflight',
    variant: 'std',
    page: 'evil',
    request: { method: 'PUT' },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  {
    id: 'method-xhr-put',
    title: 'XMLHttpRequest PUT from an allowed origin is preflighted and allowed',
    variant: 'std',
    page: 'sub',
    request: { api: 'xhr', method: 'PUT', body: 'x' },
    expect: { ...OK_JSON, body: { method: 'PUT', body: 'x' }, preflights: 1 },
  },
  // Request headers.
  {
    id: 'header-custom',
    title: 'an allowed custom header is preflighted and allowed',
    variant: 'std',
    page: 'app',
    request: { headers: { 'X-Custom': '1' } },
    expect: { ...OK_JSON, preflights: 1, upstream: 1 },
  },
  {
    id: 'header-unlisted',
    title: 'an unlisted custom header is refused at the preflight',
    variant: 'std',
    page: 'app',
    request: { headers: { 'X-Other': '1' } },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  {
    id: 'header-authorization',
    title: 'Authorization, when listed, is allowed and reaches the API',
    variant: 'std',
    page: 'app',
    request: { headers: { authorization: 'Bearer t0k' } },
    expect: { ...OK_JSON, body: { authorization: 'Bearer t0k' }, preflights: 1 },
  },
  {
    id: 'content-type-json',
    title: 'a non-safelisted Content-Type is preflighted and allowed when content-type is listed',
    variant: 'std',
    page: 'app',
    request: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    expect: { ...OK_JSON, preflights: 1, upstream: 1 },
  },
  {
    id: 'content-type-unlisted',
    title: 'a non-safelisted Content-Type is refused when content-type is not listed',
    variant: 'creds',
    page: 'app',
    request: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  // Credentials and cookies.
  {
    id: 'cookie-include',
    title: 'with credentials include, the cookie the API set comes back to it',
    variant: 'creds',
    page: 'app',
    scenario: 'cookie',
    request: { credentials: 'include' },
    expect: {
      ...OK_JSON,
      body: { cookie: 'sid=c00kie' },
      readable: { 'x-exposed': 'yes', 'x-hidden': null },
    },
    engines: {
      webkit: {
        difference:
          'the CORS exchange passes, but the cookie the API set never comes back: WebKitGTK keeps no cookie from a credentialed response of api.app.test to a page of app.test',
        rule: 'its third-party cookie policy, not CORS (docs/browsers.md "Cookies")',
        expect: { body: { cookie: null } },
      },
    },
  },
  {
    id: 'cookie-omit',
    title: 'with credentials omit, the cookie is not sent',
    variant: 'creds',
    page: 'app',
    scenario: 'cookie',
    request: { credentials: 'omit' },
    expect: { ...OK_JSON, body: { cookie: null } },
  },
  {
    id: 'cookie-set-hidden',
    title: 'Set-Cookie is never readable, even from an allowed credentialed response',
    variant: 'creds',
    page: 'app',
    request: { credentials: 'include', query: 'cookie=set&value=x' },
    expect: { ...OK_JSON, readable: { 'set-cookie': null, 'x-exposed': 'yes' } },
  },
  {
    id: 'creds-put',
    title: 'a credentialed PUT passes a preflight that carries Allow-Credentials',
    variant: 'creds',
    page: 'appTls',
    request: { method: 'PUT', credentials: 'include', headers: { 'x-custom': '1' } },
    expect: { ...OK_JSON, preflights: 1 },
  },
  {
    id: 'creds-without-policy',
    title: 'credentials include is refused by a policy without credentials',
    variant: 'std',
    page: 'app',
    request: { credentials: 'include' },
    expect: REFUSED,
  },
  // `*` policies.
  {
    id: 'any-anonymous',
    title: 'a * policy admits any origin without credentials and exposes every header but Set-Cookie',
    variant: 'any',
    page: 'evil',
    request: { query: 'cookie=set&value=x' },
    expect: {
      ...OK_JSON,
      readable: {
        'x-exposed': 'yes',
        'x-hidden': 'secret',
        'set-cookie': null,
        'access-control-allow-origin': '*',
      },
    },
  },
  {
    id: 'any-with-credentials',
    title: 'a * policy refuses a credentialed request (ACAO * never admits credentials)',
    variant: 'any',
    page: 'evil',
    request: { credentials: 'include' },
    expect: REFUSED,
  },
  {
    id: 'any-header-star',
    title: 'requestHeaders * allows any custom header',
    variant: 'any',
    page: 'sub',
    request: { method: 'PUT', headers: { 'x-anything': '1' } },
    expect: { ...OK_JSON, preflights: 1 },
  },
  {
    id: 'any-authorization',
    title: 'requestHeaders * does not cover Authorization (the engine lists it explicitly or refuses)',
    variant: 'any',
    page: 'sub',
    request: { headers: { authorization: 'Bearer t' } },
    expect: { ...REFUSED, preflights: 1, upstream: 0 },
  },
  // Preflight cache.
  {
    id: 'cache-hit',
    title: 'a second request within max-age sends no preflight',
    variant: 'std',
    page: 'app',
    scenario: 'twice',
    request: { method: 'PUT' },
    expect: { ...OK_JSON, preflights: 1, upstream: 2 },
  },
  {
    id: 'cache-off',
    title: 'max-age 0 makes the browser preflight every time',
    variant: 'noCache',
    page: 'app',
    scenario: 'twice',
    request: { method: 'PUT' },
    expect: { ...OK_JSON, preflights: 2, upstream: 2 },
  },
  {
    id: 'reload-after-cache',
    title: 'removing the origin between a cached preflight and the actual request refuses the request',
    variant: 'reload',
    page: 'app',
    scenario: 'reload',
    request: { method: 'PUT' },
    expect: { ...REFUSED, preflights: 1 },
    needs: ['reload'],
  },
  // The null origin.
  {
    id: 'null-sandbox',
    title: 'the null origin of a sandboxed iframe is refused',
    variant: 'std',
    page: 'app',
    context: 'sandboxed-iframe',
    request: {},
    expect: REFUSED,
  },
  {
    id: 'null-data-url',
    title: 'the null origin of a data: URL document is refused',
    variant: 'std',
    page: 'app',
    context: 'data-url',
    request: {},
    expect: REFUSED,
  },
  {
    id: 'null-sandbox-allowed',
    title: 'the null origin of a sandboxed iframe is allowed with dangerouslyAllowNullOrigin',
    variant: 'nullOk',
    page: 'app',
    context: 'sandboxed-iframe',
    request: {},
    expect: { ...OK_JSON, readable: { 'x-exposed': 'yes' } },
  },
  {
    id: 'null-data-url-allowed',
    title: 'the null origin of a data: URL document is allowed with dangerouslyAllowNullOrigin',
    variant: 'nullOk',
    page: 'app',
    context: 'data-url',
    request: {},
    expect: OK_JSON,
  },
  // Requests that are not CORS reads.
  {
    id: 'form-post',
    title: 'a cross-site form POST from a disallowed origin never reaches the upstream',
    variant: 'std',
    page: 'evil',
    scenario: 'form',
    request: { method: 'POST' },
    expect: { outcome: 'resolved', status: 403, upstream: 0 },
    needs: ['block-unsafe'],
    noCheck: 'a form submission is a navigation, not a CORS-mode fetch',
  },
  {
    id: 'no-cors-post',
    title: 'a no-cors POST from a disallowed origin never reaches the upstream',
    variant: 'std',
    page: 'evil',
    request: { method: 'POST', mode: 'no-cors', body: 'x' },
    expect: { outcome: 'resolved', status: 0, type: 'opaque', upstream: 0 },
    needs: ['block-unsafe'],
    noCheck: 'a no-cors request has no CORS verdict: the script never reads it',
  },
  {
    id: 'upstream-fails',
    title: 'when the upstream fails the script reads the 502, not a CORS error',
    variant: 'std',
    page: 'app',
    request: { path: 'fail' },
    expect: { outcome: 'resolved', status: 502 },
    needs: ['upstream'],
  },
  // Debug mode: the console names the cause.
  {
    id: 'debug-header',
    title: 'in debug mode the console names the refused request header',
    variant: 'debug',
    page: 'app',
    request: { headers: { 'x-other': '1' } },
    expect: {
      ...REFUSED,
      console: /Request header field x-other is not allowed by Access-Control-Allow-Headers/,
    },
  },
  {
    id: 'debug-method',
    title: 'in debug mode the console names the refused method',
    variant: 'debug',
    page: 'app',
    request: { method: 'MOVE' },
    expect: { ...REFUSED, console: /Method MOVE is not allowed by Access-Control-Allow-Methods/ },
  },
  {
    id: 'no-debug-status',
    title: 'outside debug mode the console only says the preflight had no Allow-Origin',
    variant: 'std',
    page: 'app',
    request: { headers: { 'x-other': '1' } },
    expect: {
      ...REFUSED,
      console:
        /Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin'/,
    },
  },
  {
    id: 'debug-origin',
    title: 'in debug mode a refused origin gets no Allow-Origin, and the console says so',
    variant: 'debug',
    page: 'evil',
    request: {},
    expect: { ...REFUSED, console: /No 'Access-Control-Allow-Origin' header is present/ },
  },
];
