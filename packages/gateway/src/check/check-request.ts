/**
 * `checkRequest`: what a browser would do for one cross-origin request against a live server,
 * step by step, using only the browser model (the CLI has no CORS logic of its own).
 *
 * The flow is the Fetch Standard's (docs/rules.md R3–R23): decide whether a preflight is needed,
 * send it without credentials and without following redirects, apply every check, send the
 * actual request, apply the CORS check, and list what the script can read. It also flags server
 * mistakes that break users only sometimes (mistakes.ts).
 */
import {
  buildAcrh,
  checkPreflight,
  corsCheck,
  getHeader,
  type HeaderLines,
  type HeaderPair,
  type PreflightNeed,
  preflightCacheSeconds,
  preflightNeed,
  readableHeaders,
  varyCoversOrigin,
} from '../browser-model/index.js';
import { classOfCorsFailure, classOfPreflightStep } from '../catalogue/classify.js';
import { probeOverTrust } from '../catalogue/over-trust.js';
import { exchange, UnreachableError } from '../probe/http.js';
import { type ProbeResponse, responseLines } from '../probe/trace.js';
import { readCheckInput } from './input.js';
import { localNetworkStep } from './local-network.js';
import { checkVary, findMistakes } from './mistakes.js';
import {
  MAX_REDIRECTS,
  REDIRECT_STATUSES,
  REQUEST_BODY_HEADERS,
  redirectTarget,
  taintedOrigin,
} from './redirects.js';
import { corsgateRefusal } from './refusal.js';
import type {
  CheckInput,
  CheckOptions,
  CheckTrace,
  ExchangeTrace,
  Mistake,
  RedirectHop,
  TraceStep,
} from './trace.js';

export { PROBE_ORIGIN } from './mistakes.js';
export { MAX_REDIRECTS, taintedOrigin } from './redirects.js';
export * from './trace.js';

/**
 * Runs the whole browser flow against a live server. Never throws for bad input or an unreachable
 * server: the trace says so (`verdict: 'error'`).
 * @example
 * const trace = await checkRequest({ url: 'http://127.0.0.1:8080/api', origin: 'https://app.example', method: 'PUT' });
 * trace.verdict; // 'allowed' | 'blocked' | 'error'
 */
export async function checkRequest(options: CheckOptions): Promise<CheckTrace> {
  const steps: TraceStep[] = [];
  const mistakes: Mistake[] = [];
  const read = readCheckInput(options, steps);
  const noPreflight = { needed: false, reasons: [], requestHeaders: null };
  if (!read.ok)
    return {
      input: read.input,
      verdict: 'error',
      sameOrigin: false,
      preflight: noPreflight,
      steps,
      mistakes,
      readableHeaders: [],
      error: { code: 'bad-input', message: read.message },
    };
  const { url, input } = read;
  if (input.origin !== 'null' && url.origin === input.origin) {
    steps.push({
      phase: 'input',
      status: 'pass',
      message: `${input.origin} is the URL's own origin: the request is same-origin and CORS does not apply`,
    });
    return {
      input,
      verdict: 'allowed',
      sameOrigin: true,
      preflight: noPreflight,
      steps,
      mistakes,
      readableHeaders: [],
    };
  }
  const localNetwork = localNetworkStep(url, input.origin, input.browser, options.pageAddressSpace);
  if (localNetwork !== undefined) steps.push(localNetwork);
  // FETCH #fetching step 12: fetch() appends `Accept: */*` when the script set none, before the
  // CORS-unsafe names are computed, so its 3 bytes count toward the 1024-byte total (R4).
  const sent: HeaderPair[] = input.headers.some(([n]) => n.toLowerCase() === 'accept')
    ? [...input.headers]
    : [...input.headers, ['Accept', '*/*']];
  const flow: Flow = {
    input,
    timeoutMs: options.timeoutMs ?? 10_000,
    probeVary: options.probeVary !== false,
    first: preflightNeed(input.method, sent, input.browser),
    steps,
    mistakes,
    redirects: [],
    preflighted: new Set(),
  };
  const trace = await followChain(flow, { hop: 0, url, method: input.method, sent, urlList: [url] });
  if (trace.verdict !== 'allowed' || !input.credentials || options.probeOverTrust === false) return trace;
  const preflight = flow.first.needed
    ? { method: input.method, requestHeaders: buildAcrh(flow.first.unsafeNames) }
    : null;
  return { ...trace, overTrust: await probeOverTrust(url, preflight, flow.timeoutMs) };
}

/** What one run of the flow accumulates across its hops. */
interface Flow {
  readonly input: CheckInput;
  readonly timeoutMs: number;
  readonly probeVary: boolean;
  /** The first request's preflight need (the trace reports it). */
  readonly first: PreflightNeed;
  readonly steps: TraceStep[];
  readonly mistakes: Mistake[];
  readonly redirects: RedirectHop[];
  /** Preflights that succeeded, by URL: the preflight cache is keyed by origin and URL (R20). */
  readonly preflighted: Set<string>;
  firstPreflight?: ExchangeTrace;
  firstActual?: ExchangeTrace;
  cacheSeconds?: number;
}

/** One request of the redirect chain. */
interface Hop {
  readonly hop: number;
  readonly url: URL;
  readonly method: string;
  /** The headers sent (the script's, with `Accept`), after what redirects removed. */
  readonly sent: readonly HeaderPair[];
  /** The request's URL list (FETCH #concept-request-url-list), for the redirect taint (R26). */
  readonly urlList: readonly URL[];
}

/** The hop as the trace records it, plus the Origin it sends and its label in messages. */
interface HopContext extends Hop {
  readonly origin: string;
  readonly where: string;
  readonly record: RedirectHop | undefined;
  readonly need: PreflightNeed;
}

function finish(flow: Flow, verdict: 'allowed' | 'blocked', readable: string[] = []): CheckTrace {
  return {
    input: flow.input,
    verdict,
    sameOrigin: false,
    preflight: {
      needed: flow.first.needed,
      reasons: flow.first.reasons,
      requestHeaders: buildAcrh(flow.first.unsafeNames),
      ...(flow.firstPreflight === undefined ? {} : { exchange: flow.firstPreflight }),
      ...(flow.cacheSeconds === undefined ? {} : { cacheSeconds: flow.cacheSeconds }),
    },
    ...(flow.firstActual === undefined ? {} : { actual: flow.firstActual }),
    ...(flow.redirects.length === 0 ? {} : { redirects: flow.redirects }),
    steps: flow.steps,
    mistakes: flow.mistakes,
    readableHeaders: readable,
  };
}

function unreachable(flow: Flow, e: unknown, at: URL): CheckTrace {
  const message = e instanceof UnreachableError ? `${e.code}: ${e.message}` : String(e);
  return {
    ...finish(flow, 'blocked'),
    verdict: 'error',
    error: { code: 'unreachable', message: `${at.host} did not answer: ${message}` },
  };
}

/** Preflight (when needed), actual request and CORS check for each hop, following redirects (R25). */
async function followChain(flow: Flow, start: Hop): Promise<CheckTrace> {
  let hop: Hop = start;
  for (;;) {
    const ctx = enterHop(flow, hop);
    if (ctx.need.needed && !flow.preflighted.has(hop.url.href)) {
      const stop = await sendPreflight(flow, ctx);
      if (stop !== undefined) return stop;
    }
    const actual = await sendActual(flow, ctx);
    if ('verdict' in actual) return actual;
    const location = getHeader(actual.lines, 'location');
    if (!REDIRECT_STATUSES.has(actual.status) || location === null) {
      const readable = readableHeaders(actual.lines, flow.input.credentials);
      flow.steps.push({
        phase: 'exposure',
        status: 'info',
        rule: 'R22',
        message: `the script can read: ${readable.length === 0 ? '(no headers)' : readable.join(', ')}${actual.lines.has('set-cookie') ? ' (never Set-Cookie, R23)' : ''}`,
      });
      return finish(flow, 'allowed', readable);
    }
    const next = nextHop(flow, hop, actual.status, location);
    if ('verdict' in next) return next;
    hop = next;
  }
}

/** Records the hop and says whether it needs a preflight (R3). */
function enterHop(flow: Flow, hop: Hop): HopContext {
  const origin = taintedOrigin(flow.input.origin, hop.urlList);
  const need = hop.hop === 0 ? flow.first : preflightNeed(hop.method, hop.sent, flow.input.browser);
  const where =
    hop.hop === 0 ? '' : ` (after ${hop.hop} redirect${hop.hop === 1 ? '' : 's'}, to ${hop.url.href})`;
  const record: RedirectHop | undefined =
    hop.hop === 0 ? undefined : { url: hop.url.href, origin, method: hop.method };
  if (record !== undefined) flow.redirects.push(record);
  flow.steps.push({
    phase: 'preflight',
    status: 'info',
    rule: 'R3',
    message: need.needed
      ? `a preflight is needed${where}: ${need.reasons.join('; ')}`
      : `no preflight${where}: the method is GET, HEAD or POST and every header is CORS-safelisted`,
  });
  return { ...hop, origin, where, record, need };
}

/** Sends the preflight and applies every check (R9, R14–R21); a trace when the flow stops. */
async function sendPreflight(flow: Flow, ctx: HopContext): Promise<CheckTrace | undefined> {
  const { credentials, browser } = flow.input;
  const { need } = ctx;
  // R9: OPTIONS, Accept: */*, ACRM, ACRH only when non-empty, Origin; never credentials.
  const acrh = buildAcrh(need.unsafeNames);
  const request: HeaderPair[] = [
    ['Accept', '*/*'],
    ['Access-Control-Request-Method', ctx.method],
  ];
  if (acrh !== null) request.push(['Access-Control-Request-Headers', acrh]);
  request.push(['Origin', ctx.origin]);
  const trace: ExchangeTrace = { request: { method: 'OPTIONS', url: ctx.url.href, headers: request } };
  const keep = (t: ExchangeTrace) => {
    if (ctx.record === undefined) flow.firstPreflight = t;
    else ctx.record.preflight = t;
  };
  let answer: ProbeResponse;
  try {
    answer = await exchange(ctx.url, 'OPTIONS', request, flow.timeoutMs);
  } catch (e) {
    keep(trace);
    return unreachable(flow, e, ctx.url);
  }
  keep({ ...trace, response: answer });
  const lines = responseLines(answer);
  findMistakes(lines, answer.status, ctx.origin, credentials, 'preflight', flow.mistakes);
  const results = checkPreflight({
    status: answer.status,
    headers: lines,
    origin: ctx.origin,
    method: ctx.method,
    unsafeNames: need.unsafeNames,
    requestHeaderNames: ctx.sent.map(([n]) => n.toLowerCase()),
    credentials,
    browser,
  });
  for (const r of results) {
    flow.steps.push({
      phase: 'preflight',
      status: r.ok ? 'pass' : 'fail',
      rule: r.rule,
      ...(r.ok ? {} : { classId: classOfPreflightStep(r, answer.status) }),
      message: r.message,
      ...(r.header === undefined ? {} : { header: r.header, value: r.value ?? null }),
      ...(r.fix === undefined ? {} : { fix: r.fix }),
    });
    if (r.warning !== undefined)
      flow.steps.push({
        phase: 'preflight',
        status: 'warn',
        rule: r.rule,
        message: r.warning,
        fix: 'add Authorization to Access-Control-Allow-Headers',
      });
  }
  if (results.some((r) => !r.ok)) {
    const named = answer.status === 403 ? corsgateRefusal(lines, ctx.origin) : undefined;
    if (named !== undefined) flow.steps.push(named);
    return finish(flow, 'blocked');
  }
  const cache = preflightCacheSeconds(lines, browser);
  if (ctx.hop === 0) flow.cacheSeconds = cache.seconds;
  if (cache.seconds > 0) flow.preflighted.add(ctx.url.href);
  flow.steps.push({ phase: 'preflight', status: 'info', rule: 'R21', message: cache.explanation });
  return undefined;
}

/** Sends the actual request and applies the CORS check (R10, R11); a trace when the flow stops. */
async function sendActual(
  flow: Flow,
  ctx: HopContext,
): Promise<CheckTrace | { status: number; lines: HeaderLines }> {
  const actualHeaders: HeaderPair[] = [...ctx.sent, ['Origin', ctx.origin]];
  const trace: ExchangeTrace = {
    request: { method: ctx.method, url: ctx.url.href, headers: actualHeaders },
  };
  const keep = (t: ExchangeTrace) => {
    if (ctx.record === undefined) flow.firstActual = t;
    else ctx.record.actual = t;
  };
  let answer: ProbeResponse;
  try {
    answer = await exchange(ctx.url, ctx.method, actualHeaders, flow.timeoutMs);
  } catch (e) {
    keep(trace);
    return unreachable(flow, e, ctx.url);
  }
  keep({ ...trace, response: answer });
  const lines = responseLines(answer);
  findMistakes(lines, answer.status, ctx.origin, flow.input.credentials, 'actual', flow.mistakes);
  // R11: the CORS check runs on whatever comes back, redirects included, before they are followed.
  const cors = corsCheck(lines, ctx.origin, flow.input.credentials);
  if (!cors.ok) {
    flow.steps.push({
      phase: 'actual',
      status: 'fail',
      rule: ctx.hop === 0 ? cors.rule : 'R11',
      classId: classOfCorsFailure(cors),
      message: `${cors.message}${ctx.where}`,
      ...(cors.header === undefined ? {} : { header: cors.header, value: cors.value ?? null }),
      fix: cors.fix,
    });
  } else {
    flow.steps.push({
      phase: 'actual',
      status: 'pass',
      rule: 'R10',
      message: `status ${answer.status}${ctx.where}: ${cors.note ?? 'the CORS check passes'} (any status is shared, R12)`,
    });
  }
  if (ctx.hop === 0 && !varyCoversOrigin(lines)) {
    const { method, origin } = flow.input;
    // Re-sending is safe only for GET and HEAD; otherwise an echoed origin is the evidence.
    const probe = flow.probeVary && (method === 'GET' || method === 'HEAD');
    await checkVary(ctx.url, method, ctx.sent, origin, lines, flow.timeoutMs, probe, flow.mistakes);
  }
  if (!cors.ok) return finish(flow, 'blocked');
  return { status: answer.status, lines };
}

/** FETCH #http-redirect-fetch (R25): the next hop, or the trace of a redirect a browser refuses. */
function nextHop(flow: Flow, hop: Hop, status: number, location: string): Hop | CheckTrace {
  const next = redirectTarget(hop.url, location);
  const fail = (message: string, fix: string): CheckTrace => {
    flow.steps.push({
      phase: 'actual',
      status: 'fail',
      rule: 'R25',
      message,
      header: 'Location',
      value: location,
      fix,
    });
    return finish(flow, 'blocked');
  };
  if (next === null) return fail(`Location "${location}" is not a URL`, 'send an absolute or relative URL');
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    return fail(
      `the redirect goes to a ${next.protocol} URL; fetch only follows http(s)`,
      'redirect to an http(s) URL',
    );
  if (hop.hop + 1 > MAX_REDIRECTS)
    return fail(`more than ${MAX_REDIRECTS} redirects`, 'end the redirect chain');
  if (next.username !== '' || next.password !== '')
    return fail(
      'the redirect URL carries a user name or password, which a CORS request never follows',
      'remove the credentials from Location',
    );
  let method = hop.method;
  let sent = hop.sent;
  // 303, and 301/302 after POST, turn into GET without a body (and its Content-* headers).
  if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
    method = 'GET';
    sent = sent.filter(([n]) => !REQUEST_BODY_HEADERS.has(n.toLowerCase()));
  }
  // Authorization is dropped when the redirect crosses origins (FETCH commit 9004f4e).
  if (next.origin !== hop.url.origin) sent = sent.filter(([n]) => n.toLowerCase() !== 'authorization');
  const urlList = [...hop.urlList, next];
  const origin = flow.input.origin;
  const nextOrigin = taintedOrigin(origin, urlList);
  const tainted = nextOrigin === 'null' && origin !== 'null';
  flow.steps.push({
    phase: 'actual',
    status: 'info',
    rule: tainted ? 'R26' : 'R25',
    message: `status ${status}: the browser follows the redirect to ${next.href}${tainted ? ', and because it crossed origins the Origin becomes "null" from now on' : ''}`,
  });
  return { hop: hop.hop + 1, url: next, method, sent, urlList };
}
