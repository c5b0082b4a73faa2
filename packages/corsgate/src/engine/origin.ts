/**
 * Origins: the strict parser for the `Origin` request header, and the parser for allowlist entries
 * (exact origins and the two patterns), which normalises the unambiguous forms with a warning.
 *
 * Request origins are accepted only in the exact serialized form browsers send (FETCH
 * #origin-header ABNF, docs/rules.md §3.1): lower-case scheme and host, no default port, no path,
 * no trailing slash, canonical IPv4 and IPv6. Anything else is "not allowed", never an error page
 * (docs/rules.md §4 "Origin validation").
 */

import { DEFAULT_PORTS } from './fetch-spec.js';

/** Longest scheme we accept; jub0bs/cors uses the same bound. Real schemes are far shorter. */
export const MAX_SCHEME_LENGTH = 64;
/** RFC 1035 §2.3.4: a domain name is at most 253 characters in text form, a label at most 63. */
export const MAX_HOST_LENGTH = 253;
export const MAX_LABEL_LENGTH = 63;
/** scheme + "://" + host + ":65535": nothing longer can be a serialized origin. */
export const MAX_ORIGIN_LENGTH = MAX_SCHEME_LENGTH + 3 + MAX_HOST_LENGTH + 6;
/** An allowlist entry may be longer before normalisation (a Unicode host, a path to report). */
export const MAX_ENTRY_LENGTH = 2048;

export type HostKind = 'domain' | 'ipv4' | 'ipv6';

export interface SerializedOrigin {
  readonly scheme: string;
  /** Lower-case host; IPv6 in brackets. */
  readonly host: string;
  readonly hostKind: HostKind;
  /** The explicit port, or null when the URL has none (the scheme's default). */
  readonly port: number | null;
}

const LABEL_RE = /^[a-z0-9_-]+$/;
const DIGITS_RE = /^[0-9]+$/;

/**
 * Parses a request's `Origin` value. Returns null for anything that is not a serialized origin
 * exactly as a browser writes it (including `null`, which callers handle first).
 *
 * One pass over the characters, no regular expressions or splitting: this runs for every request
 * whose origin is not an exact allowlist hit (wildcards, refusals), so it is on the hot path.
 */
export function parseSerializedOrigin(value: string): SerializedOrigin | null {
  const scanned = scanSerializedOrigin(value);
  if (scanned < 0) return null;
  const hostEnd = scanned >> 2;
  const schemeEnd = value.indexOf(':');
  const port = hostEnd < value.length ? Number(value.slice(hostEnd + 1)) : null;
  return {
    scheme: value.slice(0, schemeEnd),
    host: value.slice(schemeEnd + 3, hostEnd),
    hostKind: HOST_KINDS[scanned & 3]!,
    port,
  };
}

const HOST_KINDS: readonly HostKind[] = ['domain', 'ipv4', 'ipv6'];

/**
 * True when `value` is a serialized origin exactly as a browser writes it: what
 * `parseSerializedOrigin` accepts, without building its result. Compiling a large allowlist asks
 * this of every exact entry (engine/config/origins.ts), where the parts are not needed.
 */
export function isSerializedOrigin(value: string): boolean {
  return scanSerializedOrigin(value) >= 0;
}

/**
 * The one scan behind both: -1 when `value` is not a serialized origin, else the end of its host
 * times 4 plus the host kind's index in `HOST_KINDS`. Nothing is allocated for an ordinary
 * domain origin (a port, an IP address or a scheme whose default port must be checked slices).
 */
function scanSerializedOrigin(value: string): number {
  const n = value.length;
  if (n > MAX_ORIGIN_LENGTH || n === 0) return -1;
  // serialized-scheme = lower-alpha *( lower-alphanum / "+" / "-" / "." ) (FETCH ABNF, §3.1)
  let c = value.charCodeAt(0);
  if (c < 0x61 || c > 0x7a) return -1;
  let i = 1;
  for (; i < n; i++) {
    c = value.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))
      break;
  }
  if (
    i > MAX_SCHEME_LENGTH ||
    c !== 0x3a ||
    value.charCodeAt(i + 1) !== 0x2f ||
    value.charCodeAt(i + 2) !== 0x2f
  )
    return -1;
  const schemeEnd = i;
  const hostStart = i + 3;
  if (hostStart >= n) return -1;

  let hostEnd: number;
  let kind: number;
  if (value.charCodeAt(hostStart) === 0x5b) {
    // "[" serialized-ipv6 "]"
    const close = value.indexOf(']', hostStart);
    if (close < 0) return -1;
    hostEnd = close + 1;
    if (!isCanonicalIpv6(value.slice(hostStart, hostEnd))) return -1;
    kind = 2;
  } else {
    // Lower-case labels of [a-z0-9_-] separated by single dots, up to ":" or the end.
    let labelStart = hostStart;
    let lastAllDigits = true;
    let j = hostStart;
    for (; j < n; j++) {
      c = value.charCodeAt(j);
      if (c === 0x2e) {
        if (j === labelStart || j - labelStart > MAX_LABEL_LENGTH) return -1;
        labelStart = j + 1;
        lastAllDigits = true;
      } else if (c >= 0x30 && c <= 0x39) {
        // a digit keeps lastAllDigits as it is
      } else if ((c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f) lastAllDigits = false;
      else if (c === 0x3a) break;
      else return -1;
    }
    hostEnd = j;
    if (j === labelStart || j - labelStart > MAX_LABEL_LENGTH || hostEnd - hostStart > MAX_HOST_LENGTH)
      return -1;
    // URL "ends in a number" (the last label is all digits, or 0x and hex digits): such a host is
    // parsed as IPv4, so it must be canonical dotted decimal. `0xg` is a domain label.
    const endsInNumber = lastAllDigits || isHexNumber(value, labelStart, hostEnd);
    if (endsInNumber) {
      if (!isCanonicalIpv4(value.slice(hostStart, hostEnd).split('.'))) return -1;
      kind = 1;
    } else kind = 0;
  }

  if (hostEnd < n) {
    if (value.charCodeAt(hostEnd) !== 0x3a) return -1;
    const port = parseCanonicalPort(value.slice(hostEnd + 1));
    if (port === null || DEFAULT_PORTS[value.slice(0, schemeEnd)] === port) return -1;
  }
  return hostEnd * 4 + kind;
}

/** True when value[start, end) is `0x` followed by hex digits only (an IPv4 number in hex). */
function isHexNumber(value: string, start: number, end: number): boolean {
  if (end - start < 2 || value.charCodeAt(start) !== 0x30 || value.charCodeAt(start + 1) !== 0x78)
    return false;
  for (let k = start + 2; k < end; k++) {
    const c = value.charCodeAt(k);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** "1*5DIGIT", no leading zero (URL serialises the number), at most 65535. */
function parseCanonicalPort(text: string): number | null {
  if (text.length === 0 || text.length > 5 || !DIGITS_RE.test(text)) return null;
  if (text.length > 1 && text.startsWith('0')) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** Which kind of canonical host this is, or null when it is not in serialized form. */
export function classifyCanonicalHost(host: string): HostKind | null {
  if (host.startsWith('[')) return isCanonicalIpv6(host) ? 'ipv6' : null;
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) return null;
  const labels = host.split('.');
  const last = labels[labels.length - 1]!;
  // URL "ends in a number": such a host is parsed as IPv4, so it must be canonical dotted decimal.
  if (DIGITS_RE.test(last) || /^0x[0-9a-f]*$/i.test(last)) return isCanonicalIpv4(labels) ? 'ipv4' : null;
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH || !LABEL_RE.test(label)) return null;
  }
  return 'domain';
}

function isCanonicalIpv4(parts: readonly string[]): boolean {
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (!DIGITS_RE.test(part) || part.length > 3 || (part.length > 1 && part.startsWith('0'))) return false;
    if (Number(part) > 255) return false;
  }
  return true;
}

/** True when `[…]` holds an IPv6 address written exactly as the URL IPv6 serializer writes it. */
function isCanonicalIpv6(bracketed: string): boolean {
  if (!bracketed.endsWith(']') || bracketed.length > 41) return false;
  const groups = parseIpv6(bracketed.slice(1, -1));
  return groups !== null && `[${serializeIpv6(groups)}]` === bracketed;
}

/** Parses the textual forms the serializer can produce (hex groups and one `::`), nothing else. */
function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-f:]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.length === 0 || g.length > 4) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** URL Standard IPv6 serializer: compress the first longest run of two or more zero groups. */
function serializeIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += groups[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

export function serializeOrigin(origin: SerializedOrigin): string {
  return `${origin.scheme}://${origin.host}${origin.port === null ? '' : `:${origin.port}`}`;
}

/** Loopback hosts (RFC 6761 `localhost`, 127.0.0.0/8, ::1): plain http to them never crosses a network. */
export function isLoopbackHost(host: string, kind: HostKind): boolean {
  if (kind === 'ipv4') return host.startsWith('127.');
  if (kind === 'ipv6') return host === '[::1]';
  return host === 'localhost' || host.endsWith('.localhost');
}
