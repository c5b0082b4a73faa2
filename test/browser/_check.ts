/**
 * `corsgate check` must agree with Chromium (issue 7): for a row's request, the programmatic
 * `checkRequest` (what `corsgate check` prints) is asked the same question — origin, method,
 * headers, credentials mode — against the same way in, and its verdict and readable headers are
 * compared with what the page script observed.
 */
import type { Browser } from '../../packages/gateway/src/browser-model/response.js';
import { type CheckTrace, checkRequest } from '../../packages/gateway/src/check/check-request.js';
import type { Case } from './_cases.js';
import type { Observation } from './_page.js';

/**
 * Connection-management fields (RFC 9110 §7.6.1) describe the TCP connection, not the resource:
 * Chromium keeps connections alive and gets `Keep-Alive: timeout=5`, check opens one connection
 * per exchange and does not. With `Access-Control-Expose-Headers: *` both can read whatever is
 * there, so these names are left out of the comparison.
 */
const PER_CONNECTION = new Set(['connection', 'keep-alive']);

function comparable(names: Iterable<string>): string[] {
  return [...names].filter((n) => !PER_CONNECTION.has(n)).sort();
}

export interface Verdicts {
  readonly browser: { readonly verdict: 'allowed' | 'blocked'; readonly readable: readonly string[] };
  readonly check: { readonly verdict: CheckTrace['verdict']; readonly readable: readonly string[] };
  readonly trace: CheckTrace;
}

/**
 * Node cannot resolve the `.test` names Chromium maps, so check talks to the same front door at
 * 127.0.0.1 over plain http: the way in sees the same Origin, method and headers, and its CORS
 * answer does not depend on the Host it was reached by (none of the page origins is the way in's
 * own origin).
 */
export async function checkAgainst(
  c: Case,
  frontPort: number,
  path: string,
  origin: string,
  observation: Observation,
  browser: Browser = 'chromium',
): Promise<Verdicts> {
  const trace = await checkRequest({
    url: `http://127.0.0.1:${frontPort}${path}`,
    origin,
    method: c.request.method ?? 'GET',
    headers: Object.entries(c.request.headers ?? {}),
    credentials: c.request.credentials === 'include',
    browser,
    // The probe sends extra GETs with other origins; the rows count what reaches the API.
    probeVary: false,
  });
  return {
    browser: {
      verdict: observation.outcome === 'resolved' ? 'allowed' : 'blocked',
      readable: observation.outcome === 'resolved' ? comparable(Object.keys(observation.headers)) : [],
    },
    check: { verdict: trace.verdict, readable: comparable(trace.readableHeaders) },
    trace,
  };
}
