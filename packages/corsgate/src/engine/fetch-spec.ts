/**
 * Names and sets the Fetch Standard fixes, in one place. Section anchors are
 * https://fetch.spec.whatwg.org/#<anchor>; rule ids (R4, R6…) are those of docs/rules.md.
 */

/** CORS-safelisted methods (#cors-safelisted-method): never need Access-Control-Allow-Methods. */
export const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** Forbidden methods (#forbidden-method, R6): scripts cannot send them, so listing one is a mistake. */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Methods browsers upper-case when a script writes them in any case (#concept-method-normalize, R7). */
export const NORMALISED_METHODS: ReadonlySet<string> = new Set([
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
]);

/**
 * Forbidden request-header names (#forbidden-request-header, R6), lower case. Scripts cannot set
 * them, so they never appear in Access-Control-Request-Headers; PNA added the last one.
 */
export const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'access-control-request-private-network',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
]);

/** Prefixes that make a request-header name forbidden (#forbidden-request-header). */
export const FORBIDDEN_REQUEST_HEADER_PREFIXES = ['proxy-', 'sec-'] as const;

/** Forbidden response-header names (#forbidden-response-header-name, R23): never exposed to scripts. */
export const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/** CORS-safelisted response-header names (#cors-safelisted-response-header-name, R23): always readable. */
export const SAFELISTED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
]);

/** The CORS non-wildcard request-header name (#cors-non-wildcard-request-header-name, R17). */
export const NON_WILDCARD_REQUEST_HEADER = 'authorization';

/** Default ports (URL #default-port): a serialized origin never carries one (R: §3.1). */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  http: 80,
  https: 443,
  ws: 80,
  wss: 443,
  ftp: 21,
};

export function isForbiddenRequestHeader(lowerName: string): boolean {
  return (
    FORBIDDEN_REQUEST_HEADERS.has(lowerName) ||
    FORBIDDEN_REQUEST_HEADER_PREFIXES.some((prefix) => lowerName.startsWith(prefix))
  );
}

// RFC 9110 §5.6.2 tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~" / DIGIT / ALPHA. A 128-entry table keeps the hot ACRH loop branch-light.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** An HTTP token (method, header name): one or more tchar. */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTokenChar(value.charCodeAt(i))) return false;
  return true;
}
