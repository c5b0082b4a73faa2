/**
 * The preflight family of `corsgate scan` (docs/cli.md "What it finds"): a handful of preflights
 * from an allowed origin, each judged by the browser model: does the server answer them at all,
 * echo what it is asked, cap Max-Age where engines do, say in Vary what it varies by, read a list
 * split over two lines, and agree with the actual response?
 */
import {
  BROWSERS,
  checkPreflight,
  corsCheck,
  getHeader,
  type HeaderLines,
  PROFILES,
  parseTokenList,
} from '../browser-model/index.js';
import type { Answer, Reply } from '../probe/prober.js';
import { allows, allowsWithCredentials, type ScanContext } from './context.js';

/** A method no API defines, to see whether the preflight echoes Access-Control-Request-Method. */
export const PROBE_METHOD = 'CORSGATE-SCAN';
/** A header no API expects, to see whether the preflight echoes Access-Control-Request-Headers. */
export const PROBE_HEADER = 'x-corsgate-scan';
/** The preflight pages send most: a JSON body with a bearer token. */
export const USUAL_METHOD = 'PUT';
export const USUAL_HEADERS = ['authorization', 'content-type'] as const;
/** Names in the unbounded-list probe: more than any API accepts, small enough for every server. */
export const UNBOUNDED_NAMES = 100;

/**
 * Sends the preflights from `origin` and judges them; `actual` is that origin's GET of the URL.
 * At most five requests.
 */
export async function preflightProbes(ctx: ScanContext, origin: string, actual: Reply): Promise<void> {
  const preflights: Reply[] = [];
  const method = await ctx.prober.preflight(origin, PROBE_METHOD, null);
  if (!('error' in method)) {
    preflights.push(method);
    if (tokens(method.lines, 'access-control-allow-methods').includes(PROBE_METHOD))
      ctx.add(
        'preflight-any-method',
        corsCheck(method.lines, origin, true).ok,
        `asked for the method ${PROBE_METHOD}, the preflight answered Access-Control-Allow-Methods: ${getHeader(method.lines, 'access-control-allow-methods')}`,
        method.trace,
      );
  }
  const header = await ctx.prober.preflight(origin, USUAL_METHOD, PROBE_HEADER);
  if (!('error' in header)) {
    preflights.push(header);
    if (lowerTokens(header.lines, 'access-control-allow-headers').includes(PROBE_HEADER)) {
      ctx.add(
        'preflight-any-header',
        corsCheck(header.lines, origin, true).ok,
        `asked for the header ${PROBE_HEADER}, the preflight answered Access-Control-Allow-Headers: ${getHeader(header.lines, 'access-control-allow-headers')}`,
        header.trace,
      );
      await unboundedList(ctx, origin);
    }
  }
  const usual = await ctx.prober.preflight(origin, USUAL_METHOD, USUAL_HEADERS.join(','));
  if ('error' in usual) return;
  preflights.push(usual);
  judgeUnhandled(ctx, usual, allows(actual, origin));
  judgeWildcardAuthorization(ctx, usual, origin);
  judgeMismatch(ctx, usual, actual, origin);
  judgeMaxAge(ctx, preflights, origin);
  judgePreflightVary(ctx, method, header, usual);
  await multiLineList(ctx, origin, usual);
}

/** A preflight not handled: 401/403 from an auth layer, 404/405 from a router, or no trace of CORS. */
export function judgeUnhandled(ctx: ScanContext, usual: Reply, corsOnActual: boolean): void {
  const { status, lines } = usual;
  const auth = getHeader(lines, 'www-authenticate');
  const corsAware =
    [...lines.keys()].some((n) => n.startsWith('access-control-')) ||
    (getHeader(lines, 'vary') ?? '').toLowerCase().includes('origin');
  const asked = `a preflight for ${USUAL_METHOD} with ${USUAL_HEADERS.join(', ')}`;
  // A bare 403 with Vary: Origin is how CORS libraries (corsgate, rs/cors) refuse a preflight.
  if (status === 401 || ((status === 403 || status === 407) && (auth !== null || !corsAware)))
    ctx.add(
      'preflight-auth',
      false,
      `${asked} was answered ${status}${auth === null ? '' : ` with WWW-Authenticate: ${auth}`} by an authentication layer, but a browser never sends credentials on a preflight`,
      usual.trace,
    );
  else if ((status === 404 || status === 405 || status === 501) && !corsAware)
    ctx.add(
      'preflight-status',
      false,
      `${asked} was answered ${status}: nothing handles OPTIONS at this URL`,
      usual.trace,
    );
  else if (!corsAware && corsOnActual)
    ctx.add(
      'preflight-forwarded',
      false,
      `${asked} was answered ${status} without any CORS header, while the GET has them: the OPTIONS went past the CORS handler to the application or the upstream`,
      usual.trace,
    );
}

function judgeWildcardAuthorization(ctx: ScanContext, usual: Reply, origin: string): void {
  const names = lowerTokens(usual.lines, 'access-control-allow-headers');
  if (!names.includes('*') || names.includes('authorization') || !allows(usual, origin)) return;
  const engines = BROWSERS.filter((b) => PROFILES[b].authorizationCoveredByWildcard).map(engineName);
  const credentials = allowsWithCredentials(usual, origin);
  ctx.add(
    'wildcard-authorization',
    credentials,
    `asked for Authorization, the preflight answered Access-Control-Allow-Headers: ${getHeader(usual.lines, 'access-control-allow-headers')}; ${engines.join(', ')} let * cover Authorization today, the Fetch Standard does not${credentials ? ', and with credentials * covers nothing in any engine' : ''}`,
    usual.trace,
  );
}

/** The preflight passes the CORS check where the actual response (a success) does not. */
function judgeMismatch(ctx: ScanContext, usual: Reply, actual: Reply, origin: string): void {
  if (usual.status < 200 || usual.status > 299) return;
  const acao = (r: Reply) => getHeader(r.lines, 'access-control-allow-origin') ?? '(absent)';
  if (allows(usual, origin) && !allows(actual, origin)) {
    const errored = actual.status >= 400;
    ctx.add(
      errored ? 'errors-without-cors' : 'preflight-actual-mismatch',
      false,
      `the preflight from ${origin} is allowed (Access-Control-Allow-Origin: ${acao(usual)}), but the ${actual.status} answer to the GET has Access-Control-Allow-Origin: ${acao(actual)}`,
      actual.trace,
    );
    return;
  }
  if (
    allowsWithCredentials(usual, origin) &&
    allows(actual, origin) &&
    !allowsWithCredentials(actual, origin)
  )
    ctx.add(
      'preflight-actual-mismatch',
      true,
      `the preflight from ${origin} allows credentials (Access-Control-Allow-Credentials: ${getHeader(usual.lines, 'access-control-allow-credentials')}), but the answer to the GET has Access-Control-Allow-Credentials: ${getHeader(actual.lines, 'access-control-allow-credentials') ?? '(absent)'}`,
      actual.trace,
    );
}

/** R21: each engine caps how long it keeps a preflight; name the engines a value is above. */
function judgeMaxAge(ctx: ScanContext, preflights: readonly Reply[], origin: string): void {
  for (const p of preflights) {
    const value = getHeader(p.lines, 'access-control-max-age');
    if (value === null || !/^[0-9]+$/.test(value) || !allows(p, origin)) continue;
    const seconds = Number(value);
    const over = BROWSERS.filter((b) => PROFILES[b].maxAgeCap < seconds);
    if (over.length === 0) continue;
    const capped = over.map((b) => `${engineName(b)} keeps it ${PROFILES[b].maxAgeCap} s`).join(', ');
    const honour = BROWSERS.filter((b) => !over.includes(b)).map(engineName);
    ctx.add(
      'max-age-over-cap',
      false,
      `Access-Control-Max-Age: ${value} is above the cap of ${over.map(engineName).join(', ')}: ${capped}${honour.length === 0 ? '' : `; ${honour.join(', ')} honour${honour.length === 1 ? 's' : ''} it`}`,
      p.trace,
    );
    return;
  }
}

/** Two preflights asking different things got different lists, and Vary does not name what was asked. */
function judgePreflightVary(ctx: ScanContext, method: Answer, header: Answer, usual: Reply): void {
  const pairs: [Answer, string, string][] = [
    [header, 'access-control-allow-headers', 'access-control-request-headers'],
    [method, 'access-control-allow-methods', 'access-control-request-method'],
  ];
  for (const [other, allowName, requestName] of pairs) {
    if (!isOkReply(other) || !isOkReply(usual)) continue;
    // Both answered 2xx: a list left out for one request and sent for another varies too.
    const mine = getHeader(usual.lines, allowName) ?? '(absent)';
    const theirs = getHeader(other.lines, allowName) ?? '(absent)';
    if (mine === theirs) continue;
    const missing = [usual, other].find(
      (r) => !lowerTokens(r.lines, 'vary').some((v) => v === requestName || v === '*'),
    );
    if (missing === undefined) continue;
    ctx.add(
      'preflight-vary-missing',
      false,
      `two preflights asking for different ${requestName} values got ${allowName} ${theirs} and ${mine}, and the answer has Vary: ${getHeader(missing.lines, 'vary') ?? '(absent)'}`,
      missing.trace,
    );
    return;
  }
}

/** The echo of a hundred names: the server parses and sends back whatever it is asked. */
async function unboundedList(ctx: ScanContext, origin: string): Promise<void> {
  const names = Array.from({ length: UNBOUNDED_NAMES }, (_, i) => `${PROBE_HEADER}-${i}`);
  const answer = await ctx.prober.preflight(origin, USUAL_METHOD, names.join(','));
  if ('error' in answer) return;
  const echoed = lowerTokens(answer.lines, 'access-control-allow-headers');
  if (!names.every((n) => echoed.includes(n))) return;
  ctx.add(
    'acrh-unbounded',
    false,
    `asked for ${UNBOUNDED_NAMES} header names (${names.join(',').length} bytes), the preflight allowed all of them (${getHeader(answer.lines, 'access-control-allow-headers')?.length} bytes of Access-Control-Allow-Headers)`,
    answer.trace,
  );
}

/** The usual preflight passed: does the same list on two lines (RFC 9110 §5.3) pass too? */
async function multiLineList(ctx: ScanContext, origin: string, usual: Reply): Promise<void> {
  if (!passes(usual, origin)) return;
  const lines = USUAL_HEADERS.map((n) => ['Access-Control-Request-Headers', n] as const);
  const split = await ctx.prober.preflight(origin, USUAL_METHOD, null, lines);
  if ('error' in split || passes(split, origin)) return;
  ctx.add(
    'acrh-multiline-refused',
    false,
    `the preflight asking for ${USUAL_HEADERS.join(',')} on one line passes, the same list on two lines gets ${split.status} with Access-Control-Allow-Headers: ${getHeader(split.lines, 'access-control-allow-headers') ?? '(absent)'}`,
    split.trace,
  );
}

function passes(preflight: Reply, origin: string): boolean {
  return checkPreflight({
    status: preflight.status,
    headers: preflight.lines,
    origin,
    method: USUAL_METHOD,
    unsafeNames: [...USUAL_HEADERS],
    requestHeaderNames: [...USUAL_HEADERS],
    credentials: false,
    browser: 'chromium',
  }).every((s) => s.ok);
}

function isOkReply(r: Answer): r is Reply {
  return !('error' in r) && r.status >= 200 && r.status <= 299;
}

/** The browser suite's names for the engines (docs/browsers.md): WebKit is what Safari runs. */
export function engineName(b: (typeof BROWSERS)[number]): string {
  return b === 'safari' ? 'WebKit (Safari)' : b === 'chromium' ? 'Chromium' : 'Firefox';
}

/** The items of a token-list header as a browser parses them (R15); none when invalid. */
export function tokens(lines: HeaderLines, name: string): readonly string[] {
  const parsed = parseTokenList(lines, name);
  return parsed !== null && 'items' in parsed ? parsed.items : [];
}

function lowerTokens(lines: HeaderLines, name: string): string[] {
  return tokens(lines, name).map((t) => t.toLowerCase());
}
