/**
 * Server mistakes `checkRequest` flags from the raw header lines of each response, even when the
 * request itself passes: duplicate or slash-ended ACAO, ACAC with `*`, a preflight stopped by an
 * authentication layer or redirected, and an origin-dependent answer without `Vary: Origin` (R24).
 */
import { getHeader, type HeaderLines, type HeaderPair } from '../browser-model/index.js';
import { exchange } from '../probe/http.js';
import { responseLines } from '../probe/trace.js';
import type { Mistake } from './trace.js';

/** A different origin for the Vary probe; `.invalid` can never be a real site (RFC 2606). */
export const PROBE_ORIGIN = 'https://vary-probe.corsgate.invalid';

export function findMistakes(
  lines: HeaderLines,
  status: number,
  origin: string,
  credentials: boolean,
  phase: 'preflight' | 'actual',
  out: Mistake[],
): void {
  const acaoLines = lines.get('access-control-allow-origin') ?? [];
  const acao = getHeader(lines, 'access-control-allow-origin');
  if (acaoLines.length > 1)
    out.push({
      code: 'acao-duplicate',
      phase,
      header: 'Access-Control-Allow-Origin',
      value: acao,
      message: `the ${phase} response has ${acaoLines.length} Access-Control-Allow-Origin lines (${acaoLines.map((v) => `"${v}"`).join(', ')}); browsers join them and always fail`,
      fix: 'set the header in one place only (a proxy and the app both adding it is the usual cause); a gateway must replace, not append',
    });
  for (const v of acaoLines)
    if (v !== '*' && v.endsWith('/') && v.length > 1)
      out.push({
        code: 'acao-trailing-slash',
        phase,
        header: 'Access-Control-Allow-Origin',
        value: v,
        message: `Access-Control-Allow-Origin "${v}" ends with a slash; an origin never does, so it matches nothing`,
        fix: `remove the trailing slash${v === `${origin}/` ? `: Access-Control-Allow-Origin: ${origin}` : ''}`,
      });
  const acac = getHeader(lines, 'access-control-allow-credentials');
  if (acaoLines.includes('*') && acac !== null)
    out.push({
      code: 'wildcard-with-credentials',
      phase,
      header: 'Access-Control-Allow-Credentials',
      value: acac,
      message: `the ${phase} response sends Access-Control-Allow-Credentials: ${acac} with Access-Control-Allow-Origin: *; browsers refuse that pair for credentialed requests${credentials ? '' : ' (this request has no credentials, so it passes)'}`,
      fix: 'for credentials echo the exact allowed origin with Vary: Origin; otherwise drop Access-Control-Allow-Credentials',
    });
  if (phase === 'preflight' && (status === 401 || status === 403)) {
    const auth = getHeader(lines, 'www-authenticate');
    const corsAware =
      [...lines.keys()].some((n) => n.startsWith('access-control-')) ||
      (getHeader(lines, 'vary') ?? '').toLowerCase().includes('origin');
    // A 401, or a 403 with WWW-Authenticate, is an authentication layer. A bare 403 is ambiguous:
    // CORS libraries refusing a preflight (corsgate, jub0bs/cors) still send Vary: Origin, an auth
    // layer in front knows nothing of Origin; so only a 403 with no trace of CORS is flagged.
    if (status === 401 || auth !== null || !corsAware)
      out.push({
        code: 'preflight-auth',
        phase,
        ...(auth === null ? {} : { header: 'WWW-Authenticate', value: auth }),
        message: `the preflight was answered ${status}${auth === null ? ' without any CORS header' : ` with WWW-Authenticate: ${auth}`}: an authentication layer in front of the API rejects it, but browsers never send credentials on a preflight`,
        fix: 'exempt CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) from authentication, or put the CORS handler in front of it',
      });
  }
  if (phase === 'preflight' && status >= 300 && status <= 399)
    out.push({
      code: 'preflight-redirect',
      phase,
      header: 'Location',
      value: getHeader(lines, 'location'),
      message: `the preflight was answered ${status} with Location: ${getHeader(lines, 'location') ?? '(none)'}; browsers never follow redirects on a preflight`,
      fix: 'use the final URL in the page (trailing slash, http→https and host redirects are the usual causes)',
    });
}

/**
 * R24: is the answer origin-dependent while Vary lacks Origin? With `probe`, the same request is
 * sent again without Origin and with another origin, and the CORS headers compared: a static
 * `Access-Control-Allow-Origin` needs no Vary, a reflected or conditional one does. Without it,
 * an ACAO equal to the request origin is taken as the (likely) evidence.
 */
export async function checkVary(
  url: URL,
  method: string,
  headers: readonly HeaderPair[],
  origin: string,
  lines: HeaderLines,
  timeoutMs: number,
  probe: boolean,
  out: Mistake[],
): Promise<void> {
  const names = [
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-expose-headers',
  ];
  const signature = (l: HeaderLines) => names.map((n) => getHeader(l, n)).join('\n');
  const mine = signature(lines);
  const acao = getHeader(lines, 'access-control-allow-origin');
  let evidence: string | undefined;
  if (probe) {
    const probes: [string, HeaderPair[]][] = [
      [`with Origin ${PROBE_ORIGIN}`, [...headers, ['Origin', PROBE_ORIGIN]]],
      ['without Origin', [...headers]],
    ];
    for (const [label, probeHeaders] of probes) {
      try {
        const other = responseLines(await exchange(url, method, probeHeaders, timeoutMs));
        if (signature(other) !== mine) {
          evidence = `the CORS headers differ when the same request is sent ${label} (Access-Control-Allow-Origin: ${getHeader(other, 'access-control-allow-origin') ?? '(absent)'})`;
          break;
        }
      } catch {
        // A failed probe proves nothing either way.
      }
    }
  } else if (acao !== null && acao === origin) {
    evidence = `Access-Control-Allow-Origin echoes the request origin "${origin}"; not re-sent to confirm, as ${method} may have side effects`;
  }
  if (evidence !== undefined)
    out.push({
      code: 'vary-missing',
      phase: 'actual',
      header: 'Vary',
      value: getHeader(lines, 'vary'),
      message: `the answer depends on Origin (${evidence}) but Vary does not list Origin, so a shared cache can replay one origin's answer to another`,
      fix: 'append Origin to Vary on every response of this resource, including ones without CORS headers (R24)',
    });
}
