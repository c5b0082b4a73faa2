/**
 * The request side (R3–R5): which headers a browser considers CORS-safelisted, whether a request
 * needs a preflight, and the exact `Access-Control-Request-Headers` value it sends.
 */
import { isToken, SAFELISTED_METHODS, trimHttpWhitespace } from './fetch-names.js';
import type { Browser } from './response.js';

/** #cors-safelisted-request-header step 1: a longer value is never safelisted. */
export const MAX_SAFELISTED_VALUE_BYTES = 128;
/** #cors-unsafe-request-header-names: past this total, every safelisted header counts as unsafe. */
export const MAX_SAFELISTED_TOTAL_BYTES = 1024;

/** One request header as a script set it: the value is a byte string (code points ≤ 0xFF). */
export type HeaderPair = readonly [name: string, value: string];

/**
 * #cors-unsafe-request-header-byte (R4): a byte < 0x20 other than HT, DEL, or one of
 * `" ( ) : < > ? @ [ \ ] { }`.
 */
export function isCorsUnsafeRequestHeaderByte(code: number): boolean {
  if (code < 0x20) return code !== 0x09;
  return code === 0x7f || '"():<>?@[\\]{}'.includes(String.fromCharCode(code));
}

function hasUnsafeByte(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (isCorsUnsafeRequestHeaderByte(value.charCodeAt(i))) return true;
  return false;
}

const LANGUAGE_BYTES = /^[0-9A-Za-z *,\-.;=]*$/;

/**
 * The strict "parse a MIME type" of the MIME Sniffing Standard, up to the essence (type/subtype,
 * lower case). Parameters can never make it fail, so they are not parsed. Returns null on failure.
 * Deliberately *not* the forgiving "extract a MIME type" (R4: `text/plain, text/html` fails here).
 */
export function parseMimeTypeEssence(input: string): string | null {
  const value = trimHttpWhitespace(input);
  const slash = value.indexOf('/');
  if (slash < 0) return null;
  const type = value.slice(0, slash);
  if (!isToken(type)) return null;
  const semicolon = value.indexOf(';', slash + 1);
  const rawSubtype = value.slice(slash + 1, semicolon < 0 ? value.length : semicolon);
  const subtype = rawSubtype.replace(/[\t\n\r ]+$/, '');
  if (!isToken(subtype)) return null;
  return `${type.toLowerCase()}/${subtype.toLowerCase()}`;
}

/** The three Content-Type essences a script may send without a preflight (R4). */
export const SAFELISTED_CONTENT_TYPES: ReadonlySet<string> = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

/**
 * #simple-range-header-value, "parse a single range header value" with allowWhitespace false:
 * `bytes=start-end`, `bytes=start-` or `bytes=-suffix`. Returns null on failure.
 */
export function parseSingleRange(value: string): { start: number | null; end: number | null } | null {
  const m = /^([A-Za-z]*)=([0-9]*)-([0-9]*)$/.exec(value);
  if (m === null || m[1]!.toLowerCase() !== 'bytes') return null;
  const start = m[2] === '' ? null : Number(m[2]);
  const end = m[3] === '' ? null : Number(m[3]);
  if (start === null && end === null) return null;
  if (start !== null && end !== null && start > end) return null;
  return { start, end };
}

const DOUBLE = /^[0-9]+(\.[0-9]+)?$/;
const INT = /^[0-9]+$/;
/** Chromium's `kWebEffectiveConnectionTypeMapping` values (services/network/public/cpp/client_hints.cc). */
const ECT_VALUES: ReadonlySet<string> = new Set(['slow-2g', '2g', '3g', '4g']);

/**
 * Chromium safelists more names than the spec: the legacy client hints a script may also set and
 * `Intervention` (services/network/public/cpp/cors/cors.cc `IsCorsSafelistedHeader`), each with a
 * value check. Firefox and Safari follow the spec's list. Null when `name` is not one of them.
 */
function chromiumExtra(lower: string, value: string): { safelisted: boolean; why: string } | null {
  const ok = (safelisted: boolean, what: string) => ({
    safelisted,
    why: safelisted
      ? `Chromium safelists ${lower} with ${what}`
      : `Chromium safelists ${lower} only with ${what}`,
  });
  switch (lower) {
    case 'intervention':
      return { safelisted: true, why: 'Chromium safelists Intervention (it adds it itself)' };
    case 'device-memory':
    case 'dpr':
    case 'downlink':
      return ok(DOUBLE.test(value), 'a decimal number value');
    case 'width':
    case 'viewport-width':
    case 'rtt':
      return ok(INT.test(value), 'an integer value');
    case 'ect':
      return ok(ECT_VALUES.has(value), 'slow-2g, 2g, 3g or 4g');
    case 'save-data':
      return ok(value.toLowerCase() === 'on', 'the value "on"');
    default:
      return null;
  }
}

/**
 * Why one header is or is not CORS-safelisted, in plain words (R4). `browser` adds Chromium's
 * extra client-hint names; without it the spec's list applies.
 */
export function safelistVerdict(
  name: string,
  value: string,
  browser?: Browser,
): { safelisted: boolean; why: string } {
  if (value.length > MAX_SAFELISTED_VALUE_BYTES)
    return {
      safelisted: false,
      why: `its value is ${value.length} bytes, over the ${MAX_SAFELISTED_VALUE_BYTES}-byte limit`,
    };
  if (browser === 'chromium') {
    const extra = chromiumExtra(name.toLowerCase(), value);
    if (extra !== null) return extra;
  }
  switch (name.toLowerCase()) {
    case 'accept':
      return hasUnsafeByte(value)
        ? { safelisted: false, why: 'its value contains a CORS-unsafe byte' }
        : { safelisted: true, why: 'Accept without CORS-unsafe bytes' };
    case 'accept-language':
    case 'content-language':
      return LANGUAGE_BYTES.test(value)
        ? { safelisted: true, why: 'only letters, digits, space and * , - . ; =' }
        : {
            safelisted: false,
            why: 'its value has a byte other than letters, digits, space and * , - . ; =',
          };
    case 'content-type': {
      if (hasUnsafeByte(value)) return { safelisted: false, why: 'its value contains a CORS-unsafe byte' };
      const essence = parseMimeTypeEssence(value);
      if (essence === null) return { safelisted: false, why: 'its value is not a valid MIME type' };
      return SAFELISTED_CONTENT_TYPES.has(essence)
        ? { safelisted: true, why: `essence ${essence} is safelisted` }
        : {
            safelisted: false,
            why: `essence ${essence} is not application/x-www-form-urlencoded, multipart/form-data or text/plain`,
          };
    }
    case 'range': {
      const range = parseSingleRange(value);
      if (range === null)
        return { safelisted: false, why: 'its value is not a single bytes=start-end range' };
      return range.start === null
        ? { safelisted: false, why: 'a suffix range (bytes=-N) has no start' }
        : { safelisted: true, why: 'a single bytes range with a start' };
    }
    default:
      return {
        safelisted: false,
        why: 'only Accept, Accept-Language, Content-Language, Content-Type and Range can be',
      };
  }
}

/** #cors-safelisted-request-header (R4). */
export function isCorsSafelistedRequestHeader(name: string, value: string, browser?: Browser): boolean {
  return safelistVerdict(name, value, browser).safelisted;
}

/** #convert-header-names-to-a-sorted-lowercase-set: lower-case, de-duplicate, byte order. */
export function sortedLowercaseSet(names: readonly string[]): string[] {
  const set = new Set(names.map((n) => n.toLowerCase()));
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** #cors-unsafe-request-header-names (R4), including the 1024-byte total rule. */
export function corsUnsafeRequestHeaderNames(headers: readonly HeaderPair[], browser?: Browser): string[] {
  const unsafe: string[] = [];
  const potentiallyUnsafe: string[] = [];
  let safelistValueSize = 0;
  for (const [name, value] of headers) {
    if (!isCorsSafelistedRequestHeader(name, value, browser)) unsafe.push(name);
    else {
      potentiallyUnsafe.push(name);
      safelistValueSize += value.length;
    }
  }
  if (safelistValueSize > MAX_SAFELISTED_TOTAL_BYTES) unsafe.push(...potentiallyUnsafe);
  return sortedLowercaseSet(unsafe);
}

/** R5: the ACRH value is the sorted-lowercase set joined by `,` with no space; null when empty (not sent). */
export function buildAcrh(unsafeNames: readonly string[]): string | null {
  return unsafeNames.length === 0 ? null : sortedLowercaseSet(unsafeNames).join(',');
}

export interface PreflightNeed {
  readonly needed: boolean;
  /** The unsafe header names, sorted lower-case: exactly what goes in ACRH. */
  readonly unsafeNames: readonly string[];
  /** Plain-words reasons, one per cause. */
  readonly reasons: readonly string[];
  /** True when the 1024-byte total rule turned safelisted headers into unsafe ones. */
  readonly totalRuleApplied: boolean;
}

/**
 * R3: a preflight is needed when the method is not safelisted or some header is CORS-unsafe.
 * `browser` applies that browser's safelist (Chromium's is wider); default: the spec's.
 */
export function preflightNeed(
  method: string,
  headers: readonly HeaderPair[],
  browser?: Browser,
): PreflightNeed {
  const reasons: string[] = [];
  if (!SAFELISTED_METHODS.has(method)) reasons.push(`method ${method} is not GET, HEAD or POST`);
  let total = 0;
  const safelisted: string[] = [];
  for (const [name, value] of headers) {
    const v = safelistVerdict(name, value, browser);
    if (!v.safelisted) reasons.push(`header ${name} is not CORS-safelisted: ${v.why}`);
    else {
      total += value.length;
      safelisted.push(name);
    }
  }
  const totalRuleApplied = total > MAX_SAFELISTED_TOTAL_BYTES;
  if (totalRuleApplied)
    reasons.push(
      `the safelisted headers (${safelisted.join(', ')}) total ${total} bytes, over ${MAX_SAFELISTED_TOTAL_BYTES}, so they count as unsafe too`,
    );
  const unsafeNames = corsUnsafeRequestHeaderNames(headers, browser);
  return { needed: reasons.length > 0, unsafeNames, reasons, totalRuleApplied };
}
