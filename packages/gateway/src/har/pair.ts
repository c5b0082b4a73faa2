/**
 * From a HAR's exchanges to the cross-origin attempts a page made: each actual request with the
 * preflight the browser sent for it (docs/cli.md "explain --har"). Browsers list the preflight as
 * its own entry (Chromium's `_resourceType: preflight`, an `OPTIONS` with
 * `Access-Control-Request-Method` everywhere); Chromium even lists the actual request first, so a
 * preflight is paired with the nearest unpaired actual request to the same URL, from the same
 * origin, with the method it asked for.
 */
import { getHeader } from '../browser-model/index.js';
import { originOfUrl } from '../browser-model/origin.js';
import type { HarExchange } from './read.js';

export interface Attempt {
  /** The page's origin: the request's Origin, else its Referer's origin. */
  readonly origin: string;
  /** The actual request; undefined when the file holds only the preflight. */
  readonly actual: HarExchange | undefined;
  readonly preflight: HarExchange | undefined;
}

function isPreflight(e: HarExchange): boolean {
  return e.method === 'OPTIONS' && getHeader(e.requestHeaders, 'access-control-request-method') !== null;
}

/** The page origin a request came from, or undefined when the file does not say. */
export function pageOriginOf(e: HarExchange): string | undefined {
  const origin = getHeader(e.requestHeaders, 'origin');
  if (origin !== null && origin !== 'null') return origin;
  const referer = getHeader(e.requestHeaders, 'referer');
  const from = referer !== null && referer !== '' ? referer : e.pageUrl;
  return from === undefined ? undefined : originOfUrl(from)?.origin;
}

/**
 * A CORS request carries Origin; one the browser blocked before sending may not, so a script's
 * fetch or XHR counts too. Navigations and no-cors loads (images, scripts) are not CORS.
 */
function corsMode(e: HarExchange): boolean {
  if (e.resourceType === 'document') return false;
  return (
    getHeader(e.requestHeaders, 'origin') !== null || e.resourceType === 'fetch' || e.resourceType === 'xhr'
  );
}

function targetOrigin(url: string): string | undefined {
  return originOfUrl(url)?.origin;
}

/** Every cross-origin attempt in the file, in the order the page made them. */
export function pairAttempts(exchanges: readonly HarExchange[]): Attempt[] {
  const preflights = exchanges.filter(isPreflight);
  const paired = new Set<HarExchange>();
  const attempts: Attempt[] = [];
  for (const e of exchanges) {
    if (isPreflight(e) || !corsMode(e)) continue;
    const origin = pageOriginOf(e);
    const target = targetOrigin(e.url);
    if (origin === undefined || target === undefined || origin === target) continue;
    if (!/^https?:/.test(e.url)) continue;
    const preflight = nearestPreflight(e, origin, preflights, paired);
    if (preflight !== undefined) paired.add(preflight);
    attempts.push({ origin, actual: e, preflight });
  }
  for (const p of preflights) {
    if (paired.has(p)) continue;
    const origin = pageOriginOf(p);
    if (origin !== undefined) attempts.push({ origin, actual: undefined, preflight: p });
  }
  return attempts.sort((a, b) => firstIndex(a) - firstIndex(b));
}

function firstIndex(a: Attempt): number {
  return Math.min(
    a.actual?.index ?? Number.POSITIVE_INFINITY,
    a.preflight?.index ?? Number.POSITIVE_INFINITY,
  );
}

function nearestPreflight(
  actual: HarExchange,
  origin: string,
  preflights: readonly HarExchange[],
  paired: ReadonlySet<HarExchange>,
): HarExchange | undefined {
  let best: HarExchange | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const p of preflights) {
    if (paired.has(p) || p.url !== actual.url || pageOriginOf(p) !== origin) continue;
    if (getHeader(p.requestHeaders, 'access-control-request-method') !== actual.method) continue;
    const distance = Number.isNaN(p.started - actual.started)
      ? Math.abs(p.index - actual.index)
      : Math.abs(p.started - actual.started);
    if (distance < bestDistance) {
      best = p;
      bestDistance = distance;
    }
  }
  return best;
}
