/**
 * Access-Control-Request-Headers, checked against the allowed request headers.
 *
 * Browsers send the names lower-cased, de-duplicated, byte-sorted and joined by "," with no space
 * (FETCH #cors-preflight-fetch-0 step 5, R5). Intermediaries may add OWS or split the list over
 * several lines (rs/cors#184), so we tolerate white space, case, order, empty elements and several
 * lines (docs/rules.md §4) — but only within fixed bounds, refusing beyond them before scanning,
 * so a hostile 1 MB value costs what a short one does (jub0bs/cors `internal/headers/acrh.go`).
 */

import { isTokenChar, NON_WILDCARD_REQUEST_HEADER } from './fetch-spec.js';

/**
 * Total characters over all ACRH lines. Browsers list only names the script set whose values are
 * not safelisted; 4 KiB holds well over a hundred long names.
 */
export const MAX_ACRH_LENGTH = 4096;
/** Empty elements (",,", a blank line) tolerated in total; jub0bs/cors uses the same bound. */
export const MAX_ACRH_EMPTY_ELEMENTS = 16;
/** Distinct names in one preflight; more cannot come from a real page. */
export const MAX_ACRH_NAMES = 128;

export type AcrhResult =
  | { readonly ok: true; readonly names: readonly string[]; readonly canonical: boolean }
  | {
      readonly ok: false;
      readonly reason: 'headers-malformed' | 'headers-too-large';
      readonly detail: string;
    };

/** The one refusal for too many empty elements, whether they sit between commas or trail the last. */
const TOO_MANY_EMPTY_ELEMENTS: AcrhResult = Object.freeze<AcrhResult>({
  ok: false,
  reason: 'headers-malformed',
  detail: `more than ${MAX_ACRH_EMPTY_ELEMENTS} empty elements`,
});

/**
 * Parses one or more ACRH lines into lower-case names. `canonical` is true when the single line
 * is already in the browser's form, so the caller can echo it without rebuilding it.
 */
export function parseAcrh(lines: string | readonly string[]): AcrhResult {
  const list: readonly string[] = typeof lines === 'string' ? [lines] : lines;
  let total = 0;
  // Stop summing at the bound: the number of lines is the transport's business, not ours.
  for (let k = 0; k < list.length && total <= MAX_ACRH_LENGTH; k++) total += list[k]!.length;
  if (total > MAX_ACRH_LENGTH) {
    return {
      ok: false,
      reason: 'headers-too-large',
      detail: `more than ${MAX_ACRH_LENGTH} characters`,
    };
  }
  const names: string[] = [];
  let empty = 0;
  let canonical = list.length === 1;
  let previous = '';
  for (const line of list) {
    let i = 0;
    const n = line.length;
    // Each iteration reads one element: OWS, token, OWS, then "," or the end of the line.
    for (;;) {
      const start = i;
      while (i < n && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
      const nameStart = i;
      let upper = false;
      while (i < n && isTokenChar(line.charCodeAt(i))) {
        const c = line.charCodeAt(i);
        if (c >= 0x41 && c <= 0x5a) upper = true;
        i++;
      }
      const nameEnd = i;
      while (i < n && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x09)) i++;
      if (i < n && line.charCodeAt(i) !== 0x2c) {
        return {
          ok: false,
          reason: 'headers-malformed',
          detail: `unexpected character at ${i}: ${JSON.stringify(line.slice(i, i + 8))}`,
        };
      }
      if (nameEnd === nameStart) {
        if (++empty > MAX_ACRH_EMPTY_ELEMENTS) return TOO_MANY_EMPTY_ELEMENTS;
        canonical = false;
      } else {
        let name = line.slice(nameStart, nameEnd);
        if (upper) {
          name = name.toLowerCase();
          canonical = false;
        }
        if (nameStart !== start || i !== nameEnd) canonical = false;
        if (name <= previous) canonical = false;
        previous = name;
        names.push(name);
        if (names.length > MAX_ACRH_NAMES) {
          return { ok: false, reason: 'headers-too-large', detail: `more than ${MAX_ACRH_NAMES} names` };
        }
      }
      if (i >= n) break;
      i++; // the comma
      if (i >= n) {
        // A trailing comma is one more empty element.
        if (++empty > MAX_ACRH_EMPTY_ELEMENTS) return TOO_MANY_EMPTY_ELEMENTS;
        canonical = false;
        break;
      }
    }
  }
  return { ok: true, names, canonical };
}

export interface AllowedRequestHeaders {
  /** Lower-case names listed explicitly. */
  readonly names: ReadonlySet<string>;
  /** `*`: any name but `authorization`, which must always be listed (R17). */
  readonly any: boolean;
}

/** Every requested name that is not allowed, in request order (empty when all are). */
export function disallowedHeaders(names: readonly string[], allowed: AllowedRequestHeaders): string[] {
  const refused: string[] = [];
  for (const name of names) {
    if (allowed.names.has(name)) continue;
    // R17: `*` never covers Authorization, per the spec; browsers differ (whatwg/fetch#1919), so
    // the engine neither relies on `*` to allow it nor lets `*` allow it.
    if (allowed.any && name !== NON_WILDCARD_REQUEST_HEADER) continue;
    refused.push(name);
  }
  return refused;
}
