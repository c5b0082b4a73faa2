/**
 * Names and sets the Fetch Standard fixes, seen from the browser's side. Section anchors are
 * https://fetch.spec.whatwg.org/#<anchor>; rule ids (R4, R10…) are those of docs/rules.md.
 *
 * The engine keeps its own copies (packages/corsgate/src/engine/fetch-spec.ts) but does not
 * export them; the model is deliberately independent of the engine it is used to judge.
 * test/tools/oracle-agreement.test.ts says where the two copies must agree and where they differ.
 */

/** #cors-safelisted-method (R3). */
export const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** #forbidden-method (R6): `fetch()` throws a TypeError for these. */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** #concept-method-normalize (R7): only these are upper-cased; `patch` stays `patch`. */
export const NORMALISED_METHODS: ReadonlySet<string> = new Set([
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
]);

/** #forbidden-request-header (R6), lower case: a script's attempt to set one is silently ignored. */
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

const METHOD_OVERRIDE_HEADERS: ReadonlySet<string> = new Set([
  'x-http-method',
  'x-http-method-override',
  'x-method-override',
]);

/** #forbidden-request-header: fixed names, `proxy-`/`sec-` prefixes, and method overrides naming a forbidden method. */
export function isForbiddenRequestHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  if (FORBIDDEN_REQUEST_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-'))
    return true;
  if (METHOD_OVERRIDE_HEADERS.has(lower)) {
    return value.split(',').some((m) => FORBIDDEN_METHODS.has(m.trim().toUpperCase()));
  }
  return false;
}

/** #cors-safelisted-response-header-name (R23): always readable by the script. */
export const SAFELISTED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
]);

/** #forbidden-response-header-name (R23): never readable, even when exposed or under `*`. */
export const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/** #cors-non-wildcard-request-header-name (R17a): `*` never covers it per the spec. */
export const NON_WILDCARD_REQUEST_HEADER = 'authorization';

// RFC 9110 §5.6.2 tchar.
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP token: a method or a header name. */
export function isToken(value: string): boolean {
  return TCHAR.test(value);
}

/** HTTP whitespace (#http-whitespace): the bytes a header value is trimmed of. */
export function trimHttpWhitespace(value: string): string {
  return value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
}

/** HTTP tab or space (#http-tab-or-space): what a parsed header line's value is trimmed of. */
export function trimOws(value: string): string {
  return value.replace(/^[\t ]+|[\t ]+$/g, '');
}
