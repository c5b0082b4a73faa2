/**
 * The browser's side of one recorded attempt, replayed per engine with the browser model
 * (packages/gateway/src/browser-model, docs/rules.md): the preflight's checks (R14–R19), then the
 * CORS check of the actual response (R10). What the file recorded is taken as the server's answer;
 * only the browser's judgement is recomputed, so every engine is judged on the same bytes.
 */
import {
  BROWSERS,
  type Browser,
  type CheckResult,
  checkPreflight,
  corsCheck,
  corsUnsafeRequestHeaderNames,
  getHeader,
  type HeaderPair,
  isForbiddenRequestHeader,
  type PreflightStep,
  preflightNeed,
} from '../browser-model/index.js';
import type { Attempt } from './pair.js';
import type { HarExchange } from './read.js';

/** Where a replay stopped: the failing step, or `ok`. */
export type Verdict =
  | { readonly ok: true; readonly phase: 'done' }
  | { readonly ok: false; readonly phase: 'preflight'; readonly step: PreflightStep }
  | { readonly ok: false; readonly phase: 'actual'; readonly check: Extract<CheckResult, { ok: false }> }
  | { readonly ok: false; readonly phase: 'no-response'; readonly which: 'preflight' | 'actual' };

/** Header names the browser itself writes on every request: never the script's, never in ACRH. */
const BROWSER_WRITTEN = new Set(['origin', 'referer', 'user-agent', 'accept', 'accept-language', 'priority']);

/** The script-set headers of the actual request, as the browser model wants them. */
export function scriptHeaders(actual: HarExchange): HeaderPair[] {
  const pairs: HeaderPair[] = [];
  for (const [name, values] of actual.requestHeaders) {
    if (BROWSER_WRITTEN.has(name) || name === 'cookie' || name === 'authorization') continue;
    for (const value of values) if (!isForbiddenRequestHeader(name, value)) pairs.push([name, value]);
  }
  return pairs;
}

/** The unsafe names the preflight asked for: its ACRH when recorded, else computed (R3). */
function unsafeNames(attempt: Attempt, browser: Browser): string[] {
  const acrh =
    attempt.preflight === undefined
      ? null
      : getHeader(attempt.preflight.requestHeaders, 'access-control-request-headers');
  if (acrh !== null)
    return acrh
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n !== '');
  return attempt.actual === undefined
    ? []
    : corsUnsafeRequestHeaderNames(scriptHeaders(attempt.actual), browser);
}

function methodOf(attempt: Attempt): string {
  if (attempt.actual !== undefined) return attempt.actual.method;
  return getHeader(attempt.preflight!.requestHeaders, 'access-control-request-method') ?? 'GET';
}

/** Does this attempt need a preflight in `browser` (R3)? */
export function needsPreflight(attempt: Attempt, browser: Browser): boolean {
  if (attempt.actual === undefined) return true;
  return preflightNeed(attempt.actual.method, scriptHeaders(attempt.actual), browser).needed;
}

/** One engine's replay of the attempt with the given credentials mode. */
export function replay(attempt: Attempt, browser: Browser, credentials: boolean): Verdict {
  const { preflight, actual } = attempt;
  if (preflight !== undefined && needsPreflight(attempt, browser)) {
    if (preflight.status === 0) return { ok: false, phase: 'no-response', which: 'preflight' };
    const names = unsafeNames(attempt, browser);
    const authorization =
      attempt.actual?.requestHeaders.has('authorization') === true || names.includes('authorization');
    const steps = checkPreflight({
      status: preflight.status,
      headers: preflight.responseHeaders,
      origin: attempt.origin,
      method: methodOf(attempt),
      unsafeNames: names,
      requestHeaderNames: authorization ? [...names, 'authorization'] : names,
      credentials,
      browser,
    });
    const failed = steps.find((s) => !s.ok);
    if (failed !== undefined) return { ok: false, phase: 'preflight', step: failed };
  }
  if (actual === undefined) return { ok: true, phase: 'done' };
  if (actual.status === 0) return { ok: false, phase: 'no-response', which: 'actual' };
  const check = corsCheck(actual.responseHeaders, attempt.origin, credentials);
  return check.ok ? { ok: true, phase: 'done' } : { ok: false, phase: 'actual', check };
}

/** Every engine's replay. */
export function replayAll(attempt: Attempt, credentials: boolean): Record<Browser, Verdict> {
  const out = {} as Record<Browser, Verdict>;
  for (const browser of BROWSERS) out[browser] = replay(attempt, browser, credentials);
  return out;
}
