/**
 * The reflection and `null` probes, shared by `scan` and `check`: when a request is allowed with
 * credentials, does the server also allow an arbitrary origin, or `null`? Safe to send for any
 * method: a preflight when the checked request needs one, a GET otherwise.
 */
import type { ConnectOptions } from '../probe/http.js';
import { Prober } from '../probe/prober.js';
import { type Finding, type OriginProbe, originFinding, REFLECTION_PROBE } from './finding.js';

const PROBES: readonly OriginProbe[] = [
  { origin: REFLECTION_PROBE, finding: 'origin-reflected' },
  { origin: 'null', finding: 'null-trusted' },
];

/**
 * @param preflight the checked request's preflight (its method and ACRH), or null when it had none
 * @returns the over-trust proven (empty when neither origin is allowed, or nothing answered)
 */
export async function probeOverTrust(
  url: URL,
  preflight: { readonly method: string; readonly requestHeaders: string | null } | null,
  timeoutMs: number,
  connect: ConnectOptions = {},
): Promise<Finding[]> {
  const prober = new Prober(url, 0, timeoutMs, connect);
  const found: Finding[] = [];
  for (const probe of PROBES) {
    const answer =
      preflight === null
        ? await prober.get([['Origin', probe.origin]])
        : await prober.preflight(probe.origin, preflight.method, preflight.requestHeaders);
    if ('error' in answer) continue;
    const f = originFinding(probe, answer);
    if (f !== undefined) found.push(f);
  }
  return found;
}
