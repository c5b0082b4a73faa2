/**
 * Allowlist entries: `*`, `null`, an exact origin, `scheme://*.domain` (one or more labels below
 * the domain, never the domain itself) and `:*` (any port, or none). Nothing else: no regular
 * expressions, no partial labels (`https://*example.com` is the "glob without a dot" attack class,
 * docs/rules.md §6).
 *
 * The unambiguous slips (upper case, a lone trailing `/`, the default port, a Unicode host) are
 * normalised with a warning; everything else is an error with a suggestion where one exists.
 * Policy-level refusals (credentials, null, insecure, public suffix) are applied by the policy,
 * because they depend on the rest of the configuration.
 */

import type { IssueCode } from './errors.js';
import { DEFAULT_PORTS } from './fetch-spec.js';
import {
  classifyCanonicalHost,
  type HostKind,
  MAX_ENTRY_LENGTH,
  MAX_ORIGIN_LENGTH,
  MAX_SCHEME_LENGTH,
} from './origin.js';
import { excerpt } from './problem.js';

export type OriginPattern =
  | { readonly kind: 'any' }
  | { readonly kind: 'null' }
  | {
      readonly kind: 'origin';
      readonly scheme: string;
      /** The host, or for a wildcard the domain below which any host matches. */
      readonly host: string;
      readonly hostKind: HostKind;
      /** True for `*.host`. */
      readonly subdomains: boolean;
      /** An explicit port, null for none (the default), or 'any' for `:*`. */
      readonly port: number | null | 'any';
    };

export interface PatternFinding {
  readonly code: IssueCode;
  readonly reason: string;
  readonly suggestion?: string;
}

export type PatternResult =
  | {
      readonly ok: true;
      readonly pattern: OriginPattern;
      readonly text: string;
      readonly warnings: PatternFinding[];
    }
  | ({ readonly ok: false } & PatternFinding);

const SCHEME_RE = /^[a-z][a-z0-9+.-]*$/i;
// `?` is left out: it starts a query, reported below as a path with a suggestion (docs/allowlist.md).
const REGEX_CHARS_RE = /[\\^$()|+{}\s]/;

export function patternText(pattern: OriginPattern): string {
  if (pattern.kind === 'any') return '*';
  if (pattern.kind === 'null') return 'null';
  const port = pattern.port === null ? '' : pattern.port === 'any' ? ':*' : `:${pattern.port}`;
  return `${pattern.scheme}://${pattern.subdomains ? '*.' : ''}${pattern.host}${port}`;
}

function fail(code: IssueCode, reason: string, suggestion?: string): Failure {
  return suggestion === undefined ? { ok: false, code, reason } : { ok: false, code, reason, suggestion };
}

/** A guess at what the author meant, used only for suggestions: the WHATWG URL parser's origin. */
function urlOriginOf(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** A refusal, as `parseOriginPattern` returns it. */
type Failure = Extract<PatternResult, { ok: false }>;

function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && (value as Failure).ok === false;
}

export function parseOriginPattern(raw: string): PatternResult {
  if (raw.length === 0) return fail('CG_ORIGIN_EMPTY', 'an origin entry is empty');
  if (raw.length > MAX_ENTRY_LENGTH) {
    return fail(
      'CG_ORIGIN_TOO_LONG',
      `an origin entry is ${raw.length} characters; no origin is longer than ${MAX_ORIGIN_LENGTH}`,
    );
  }
  const warnings: PatternFinding[] = [];
  if (raw === '*') return { ok: true, pattern: { kind: 'any' }, text: '*', warnings };
  if (raw.toLowerCase() === 'null') {
    if (raw !== 'null')
      warnings.push({ code: 'CG_ORIGIN_UPPER_CASE', reason: `"${raw}" is written "null" by browsers` });
    return { ok: true, pattern: { kind: 'null' }, text: 'null', warnings };
  }
  if (REGEX_CHARS_RE.test(raw)) {
    return fail(
      'CG_ORIGIN_UNSUPPORTED_PATTERN',
      `"${excerpt(raw)}" contains characters of a regular expression or white space; entries are exact origins, *.domain or :* only`,
    );
  }
  const sep = raw.indexOf('://');
  if (sep < 0) return missingScheme(raw);
  const scheme = schemeOf(raw.slice(0, sep), warnings);
  if (isFailure(scheme)) return scheme;
  const authority = authorityOf(raw, scheme, raw.slice(sep + 3), warnings);
  if (isFailure(authority)) return authority;
  return originPatternOf(raw, scheme, authority, warnings);
}

/** An entry without `://`: the error, with a guess at the origin meant when there is one. */
function missingScheme(raw: string): Failure {
  const guess = urlOriginOf(`https://${raw}`);
  const looksLikeHost = !raw.includes('/') || raw.indexOf('/') > raw.indexOf('.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[^:]+:\d+$/.test(raw)) {
    return fail('CG_ORIGIN_MISSING_SCHEME', `"${excerpt(raw)}" has no "://" after its scheme`);
  }
  const local = /^(localhost|127\.|\[::1\])/i.test(raw);
  const suggestion =
    guess !== undefined && looksLikeHost ? (local ? guess.replace(/^https:/, 'http:') : guess) : undefined;
  return fail(
    'CG_ORIGIN_MISSING_SCHEME',
    `"${excerpt(raw)}" has no scheme; browsers send the scheme in Origin`,
    suggestion === undefined ? undefined : `did you mean ${excerpt(suggestion)}?`,
  );
}

/** The scheme, lower-cased (with a warning); `file` and invalid schemes are refused. */
function schemeOf(written: string, warnings: PatternFinding[]): string | Failure {
  let scheme = written;
  if (scheme.length === 0 || scheme.length > MAX_SCHEME_LENGTH || !SCHEME_RE.test(scheme)) {
    return fail('CG_ORIGIN_INVALID_SCHEME', `"${excerpt(scheme)}" is not a valid URL scheme`);
  }
  if (scheme !== scheme.toLowerCase()) {
    warnings.push({ code: 'CG_ORIGIN_UPPER_CASE', reason: `scheme "${scheme}" is lower case in Origin` });
    scheme = scheme.toLowerCase();
  }
  if (scheme === 'file') {
    return fail(
      'CG_ORIGIN_FILE_SCHEME',
      'pages loaded from file: have an opaque origin and browsers send "null" for them; allowing null lets any sandboxed or local document in',
    );
  }
  return scheme;
}

/**
 * What follows `://`, without a lone trailing `/` (removed with a warning); a path, query,
 * fragment or user name is refused with the origin it should have been.
 */
function authorityOf(
  raw: string,
  scheme: string,
  afterScheme: string,
  warnings: PatternFinding[],
): string | Failure {
  let rest = afterScheme;
  const pathAt = rest.search(/[/?#]/);
  if (pathAt >= 0) {
    const tail = rest.slice(pathAt);
    if (tail === '/') {
      warnings.push({ code: 'CG_ORIGIN_TRAILING_SLASH', reason: 'an origin has no trailing "/"; removed' });
      rest = rest.slice(0, pathAt);
    } else {
      const origin = `${scheme}://${rest.slice(0, pathAt)}`;
      return fail(
        'CG_ORIGIN_HAS_PATH',
        `"${excerpt(raw)}" has a path, query or fragment ("${excerpt(tail)}"); an origin is only scheme, host and port`,
        `did you mean ${excerpt(origin)}?`,
      );
    }
  }
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    return fail(
      'CG_ORIGIN_HAS_USERINFO',
      `"${excerpt(raw)}" has a user name or password; browsers never send one in Origin`,
      `did you mean ${excerpt(`${scheme}://${rest.slice(at + 1)}`)}?`,
    );
  }
  return rest;
}

/** The authority as a pattern: an optional `*.`, the host (normalised), the port or `:*`. */
function originPatternOf(
  raw: string,
  scheme: string,
  rest: string,
  warnings: PatternFinding[],
): PatternResult {
  let subdomains = false;
  let authority = rest;
  if (authority.startsWith('*.')) {
    subdomains = true;
    authority = authority.slice(2);
  }
  const split = splitHostPort(authority);
  if (isFailure(split)) return split;
  if (split.host.includes('*')) {
    return fail(
      'CG_ORIGIN_UNSUPPORTED_PATTERN',
      `"${excerpt(raw)}" uses * inside a host; the only host pattern is a leading "*." followed by a domain`,
    );
  }
  if (subdomains && split.host.startsWith('[')) {
    return fail('CG_ORIGIN_UNSUPPORTED_PATTERN', `"${excerpt(raw)}" puts "*." in front of an IP address`);
  }
  const port = portOf(split.portText, scheme, warnings);
  if (isFailure(port)) return port;
  if (split.host.length === 0) return fail('CG_ORIGIN_INVALID_HOST', `"${excerpt(raw)}" has no host`);
  const host = hostOf(split.host, scheme, warnings);
  if (isFailure(host)) return host;
  const hostKind = classifyCanonicalHost(host);
  if (hostKind === null) {
    const canonical = subdomains ? undefined : urlHostname(`http://${host}`);
    return fail(
      'CG_ORIGIN_INVALID_HOST',
      `"${excerpt(host)}" is not a host as browsers write it in Origin`,
      canonical !== undefined && canonical !== host
        ? `did you mean ${excerpt(`${scheme}://${canonical}`)}?`
        : undefined,
    );
  }
  if (subdomains && hostKind !== 'domain') {
    return fail('CG_ORIGIN_UNSUPPORTED_PATTERN', `"${excerpt(raw)}" puts "*." in front of an IP address`);
  }
  const pattern: OriginPattern = { kind: 'origin', scheme, host, hostKind, subdomains, port };
  return { ok: true, pattern, text: patternText(pattern), warnings };
}

/** Host and port text (the port may be `*`); an IPv6 host keeps its brackets. */
function splitHostPort(authority: string): { host: string; portText: string | null } | Failure {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return fail('CG_ORIGIN_INVALID_HOST', `"${excerpt(authority)}" is not a valid IPv6 host`);
    const after = authority.slice(close + 1);
    if (after === '') return { host: authority.slice(0, close + 1), portText: null };
    if (!after.startsWith(':'))
      return fail('CG_ORIGIN_INVALID_HOST', `"${excerpt(authority)}" is not a valid IPv6 host`);
    return { host: authority.slice(0, close + 1), portText: after.slice(1) };
  }
  const colon = authority.lastIndexOf(':');
  return colon < 0
    ? { host: authority, portText: null }
    : { host: authority.slice(0, colon), portText: authority.slice(colon + 1) };
}

/** The port: a number, null for none or the scheme's default (removed with a warning), `any` for `*`. */
function portOf(
  portText: string | null,
  scheme: string,
  warnings: PatternFinding[],
): number | null | 'any' | Failure {
  if (portText === null) return null;
  if (portText === '*') return 'any';
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    return fail('CG_ORIGIN_INVALID_PORT', `port "${excerpt(portText)}" is not a number from 0 to 65535`);
  }
  if (portText.length > 1 && portText.startsWith('0')) {
    return fail(
      'CG_ORIGIN_INVALID_PORT',
      `port "${excerpt(portText)}" has a leading zero`,
      `did you mean :${Number(portText)}?`,
    );
  }
  const port = Number(portText);
  if (DEFAULT_PORTS[scheme] === port) {
    warnings.push({
      code: 'CG_ORIGIN_DEFAULT_PORT',
      reason: `:${port} is the default port of ${scheme}: and is never sent; removed`,
    });
    return null;
  }
  return port;
}

/** The host as browsers send it: punycode for a Unicode host, lower case (each with a warning). */
function hostOf(written: string, scheme: string, warnings: PatternFinding[]): string | Failure {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for any non-ASCII code point
  if (/[^\x00-\x7f]/.test(written)) {
    // The global WHATWG URL parser does UTS-46 exactly as browsers do; it is not I/O and every
    // runtime has it, so the engine stays pure.
    const ascii = urlHostname(`${scheme === 'http' || scheme === 'https' ? scheme : 'https'}://${written}`);
    if (ascii === undefined)
      return fail('CG_ORIGIN_INVALID_HOST', `"${excerpt(written)}" is not a valid host name`);
    warnings.push({
      code: 'CG_ORIGIN_UNICODE_HOST',
      reason: `"${written}" is sent as "${ascii}" in Origin; stored as punycode`,
    });
    return ascii;
  }
  if (written !== written.toLowerCase()) {
    warnings.push({ code: 'CG_ORIGIN_UPPER_CASE', reason: `host "${written}" is lower case in Origin` });
    return written.toLowerCase();
  }
  return written;
}

function urlHostname(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}
