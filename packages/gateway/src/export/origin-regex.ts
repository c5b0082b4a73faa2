/**
 * Anchored regular expressions that match exactly the origins the engine's matcher allows for one
 * `*.` or `:*` entry (docs/nginx.md "Origin matching"): label by label (`[a-z0-9_-]{1,63}`, a host
 * of at most 253 characters, as the engine's serialized-origin scan), port by port (no leading
 * zero, at most 65535, never the scheme's default port, which no browser sends). The same text is
 * valid in JavaScript and in PCRE, so the tests run it against the engine's own decision.
 */
import type { OriginPattern } from 'corsgate';

/** The scheme's default port (the engine's fetch-spec table); an origin never names it. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };

/** 0..65535 written without a leading zero, as the URL serializer writes a port. */
const PORT = '(?:0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

type HostPattern = Extract<OriginPattern, { kind: 'origin' }>;

function portPart(scheme: string, port: number | null | 'any'): string {
  if (port === null) return '';
  if (port !== 'any') return `:${port}`;
  const fallback = DEFAULT_PORTS[scheme];
  return `(?::${fallback === undefined ? '' : `(?!${fallback}$)`}${PORT})?`;
}

/** The regular expression body (without anchors) for a `*.` or `:*` entry. */
export function patternRegexBody(pattern: HostPattern): string {
  const scheme = escapeRegex(pattern.scheme);
  const host = pattern.subdomains
    ? // One or more whole labels below the domain; the look-ahead bounds the host's length.
      `(?=[a-z0-9._-]{1,253}(?::|$))(?:[a-z0-9_-]{1,63}\\.)+${escapeRegex(pattern.host)}`
    : escapeRegex(pattern.host);
  return `${scheme}://${host}${portPart(pattern.scheme, pattern.port)}`;
}

/** The anchored regular expression for an entry, as JavaScript and PCRE read it. */
export function patternRegex(pattern: HostPattern): string {
  return `^${patternRegexBody(pattern)}$`;
}

/**
 * An anchored expression matching exactly the canonical Access-Control-Request-Headers values
 * (lower-case names, sorted, unique, comma-separated without spaces: what browsers send, docs/rules.md
 * R5) made of `names`; names must be lower-case. Used without njs only (docs/nginx.md "Without njs").
 */
export function canonicalHeadersRegex(names: readonly string[]): string {
  const sorted = [...new Set(names)].sort();
  const items = sorted.map((n) => `(?:${escapeRegex(n)}(?:,(?!$)|$))?`).join('');
  return `^(?=.{1,4096}$)${items}$`;
}
