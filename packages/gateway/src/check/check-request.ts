/**
 * `checkRequest`: what a browser would do for one cross-origin request against a live server,
 * step by step, using only the browser model (the CLI has no CORS logic of its own).
 *
 * The flow is the Fetch Standard's (docs/rules.md R3–R23): decide whether a preflight is needed,
 * send it without credentials and without following redirects, apply every check, send the
 * actual request, apply the CORS check, and list what the script can read. It also flags server
 * mistakes that break users only sometimes.
 */
import {
  type Browser,
  buildAcrh,
  checkPreflight,
  corsCheck,
  FORBIDDEN_METHODS,
  getHeader,
  type HeaderLines,
  type HeaderPair,
  headerLinesFromRaw,
  isForbiddenRequestHeader,
  isToken,
  NORMALISED_METHODS,
  preflightCacheSeconds,
  preflightNeed,
  readableHeaders,
  trimHttpWhitespace,
} from '../browser-model/index.js';
import { type Exchange, exchange, UnreachableError } from './http.js';

export interface CheckOptions {
  readonly url: string;
  /** The page's origin, exactly as its `Origin` header (see `corsgate origin`), or `null`. */
  readonly origin: string;
  /** Default GET. Normalised as a browser does (R7). */
  readonly method?: string;
  /** Headers the script sets, in order. Forbidden ones are dropped, as a browser silently does. */
  readonly headers?: readonly HeaderPair[];
  /** `credentials: 'include'` (or `withCredentials`). Default false. */
  readonly credentials?: boolean;
  /** Default chromium. */
  readonly browser?: Browser;
  /** Per exchange. Default 10000 ms. */
  readonly timeoutMs?: number;
  /**
   * Probe a GET/HEAD again without Origin and with another origin to see whether the answer
   * depends on Origin (for the missing-Vary check). Never done for other methods, which may have
   * side effects. Default true.
   */
  readonly probeVary?: boolean;
}

export type StepStatus = 'pass' | 'fail' | 'warn' | 'info';

export interface TraceStep {
  readonly phase: 'input' | 'preflight' | 'actual' | 'exposure';
  readonly status: StepStatus;
  /** The rule id in docs/rules.md. */
  readonly rule?: string;
  readonly message: string;
  readonly header?: string;
  readonly value?: string | null;
  readonly fix?: string;
}

/** Server mistakes worth fixing even when this request happens to pass. */
export const MISTAKES = {
  'vary-missing': 'the answer depends on Origin but the response lacks Vary: Origin',
  'acao-duplicate': 'two or more Access-Control-Allow-Origin lines',
  'acao-trailing-slash': 'Access-Control-Allow-Origin with a trailing slash',
  'preflight-auth': 'a preflight answered 401/403 by an authentication layer',
  'preflight-redirect': 'a preflight answered with a redirect',
  'acac-with-wildcard': 'Access-Control-Allow-Credentials together with Access-Control-Allow-Origin: *',
} as const;
export type MistakeCode = keyof typeof MISTAKES;

export interface Mistake {
  readonly code: MistakeCode;
  readonly phase: 'preflight' | 'actual';
  readonly header?: string;
  readonly value?: string | null;
  readonly message: string;
  readonly fix: string;
}

export interface ExchangeTrace {
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly headers: readonly HeaderPair[];
  };
  readonly response?: { readonly status: number; readonly headers: readonly HeaderPair[] };
}

export interface CheckTrace {
  readonly input: {
    readonly url: string;
    readonly origin: string;
    readonly method: string;
    readonly headers: readonly HeaderPair[];
    readonly credentials: boolean;
    readonly browser: Browser;
  };
  /** `allowed`: the script gets the response; `blocked`: a network error; `error`: bad input or unreachable. */
  readonly verdict: 'allowed' | 'blocked' | 'error';
  readonly sameOrigin: boolean;
  readonly preflight: {
    readonly needed: boolean;
    readonly reasons: readonly string[];
    /** The ACRH value sent, or null when none. */
    readonly requestHeaders: string | null;
    readonly exchange?: ExchangeTrace;
    /** Seconds the browser would cache a successful preflight. */
    readonly cacheSeconds?: number;
  };
  /** The first request (the actual one; its preflight is under `preflight`). */
  readonly actual?: ExchangeTrace;
  /** Every redirect the browser followed after it, in order (R25, R26). */
  readonly redirects?: readonly RedirectHop[];
  readonly steps: readonly TraceStep[];
  readonly mistakes: readonly Mistake[];
  /** Lower-case names the script can read from the actual response (R22/R23). */
  readonly readableHeaders: readonly string[];
  readonly error?: { readonly code: 'bad-input' | 'unreachable'; readonly message: string };
}

/** A different origin for the Vary probe; `.invalid` can never be a real site (RFC 2606). */
export const PROBE_ORIGIN = 'https://vary-probe.corsgate.invalid';

const SERIALIZED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[1-9][0-9]{0,4})?$/;

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
  const credentials = options.credentials ?? false;
  const browser = options.browser ?? 'chromium';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const rawMethod = options.method ?? 'GET';
  const method = NORMALISED_METHODS.has(rawMethod.toUpperCase()) ? rawMethod.toUpperCase() : rawMethod;
  const origin = options.origin;
  const base = {
    url: options.url,
    origin,
    method,
    headers: [] as HeaderPair[],
    credentials,
    browser,
  };
  const fail = (message: string): CheckTrace => ({
    input: base,
    verdict: 'error',
    sameOrigin: false,
    preflight: { needed: false, reasons: [], requestHeaders: null },
    steps,
    mistakes,
    readableHeaders: [],
    error: { code: 'bad-input', message },
  });

  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return fail(`"${options.url}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`only http: and https: URLs can be checked`);
  if (url.username !== '' || url.password !== '')
    return fail('a URL with credentials (user:password@) makes fetch() throw a TypeError');
  url.hash = '';
  if (origin !== 'null' && !SERIALIZED_ORIGIN.test(origin))
    return fail(
      `"${origin}" is not an Origin as a browser sends it (lower case, no path, no trailing slash, no default port); run "corsgate origin ${origin}" to get it`,
    );
  if (!isToken(rawMethod)) return fail(`"${rawMethod}" is not an HTTP method token`);
  if (FORBIDDEN_METHODS.has(rawMethod.toUpperCase()))
    return fail(`${rawMethod} is a forbidden method: fetch() throws a TypeError (R6)`);
  if (rawMethod !== method)
    steps.push({
      phase: 'input',
      status: 'info',
      rule: 'R7',
      message: `the browser upper-cases "${rawMethod}" to ${method}`,
    });
  else if (rawMethod !== rawMethod.toUpperCase())
    steps.push({
      phase: 'input',
      status: 'info',
      rule: 'R7',
      message: `"${rawMethod}" stays as written: only DELETE, GET, HEAD, OPTIONS, POST and PUT are upper-cased, and methods are case-sensitive`,
    });

  const headers: HeaderPair[] = [];
  for (const [name, rawValue] of options.headers ?? []) {
    if (!isToken(name)) return fail(`"${name}" is not a header name`);
    // Headers.append normalises the value (strips HTTP whitespace) and rejects NUL, CR and LF.
    const value = trimHttpWhitespace(rawValue);
    if (/[\0\r\n]/.test(value) || /[^\0-\xff]/.test(value))
      return fail(
        `the value of ${name} is not a valid header value (no NUL, CR, LF or characters above U+00FF)`,
      );
    if (isForbiddenRequestHeader(name, value)) {
      steps.push({
        phase: 'input',
        status: 'warn',
        rule: 'R6',
        message: `${name} is a forbidden request header: a script cannot set it, so the browser silently drops it`,
        header: name,
        value,
      });
      continue;
    }
    headers.push([name, value]);
  }
  base.headers = headers;

  const sameOrigin = origin !== 'null' && url.origin === origin;
  if (sameOrigin) {
    steps.push({
      phase: 'input',
      status: 'pass',
      message: `${origin} is the URL's own origin: the request is same-origin and CORS does not apply`,
    });
    return {
      input: base,
      verdict: 'allowed',
      sameOrigin,
      preflight: { needed: false, reasons: [], requestHeaders: null },
      steps,
      mistakes,
      readableHeaders: [],
    };
  }

  // FETCH #fetching step 12: fetch() appends `Accept: */*` when the script set none, before the
  // CORS-unsafe names are computed, so its 3 bytes count toward the 1024-byte total (R4).
  let sent: HeaderPair[] = headers.some(([n]) => n.toLowerCase() === 'accept')
    ? [...headers]
    : [...headers, ['Accept', '*/*']];
  const first = preflightNeed(method, sent, browser);

  let firstPreflight: ExchangeTrace | undefined;
  let cacheSeconds: number | undefined;
  let firstActual: ExchangeTrace | undefined;
  const redirects: RedirectHop[] = [];
  const done = (verdict: 'allowed' | 'blocked', readable: string[] = []): CheckTrace => ({
    input: base,
    verdict,
    sameOrigin,
    preflight: {
      needed: first.needed,
      reasons: first.reasons,
      requestHeaders: buildAcrh(first.unsafeNames),
      ...(firstPreflight === undefined ? {} : { exchange: firstPreflight }),
      ...(cacheSeconds === undefined ? {} : { cacheSeconds }),
    },
    ...(firstActual === undefined ? {} : { actual: firstActual }),
    ...(redirects.length === 0 ? {} : { redirects }),
    steps,
    mistakes,
    readableHeaders: readable,
  });
  const unreachable = (e: unknown, at: URL): CheckTrace => {
    const message = e instanceof UnreachableError ? `${e.code}: ${e.message}` : String(e);
    return {
      ...done('blocked'),
      verdict: 'error',
      error: { code: 'unreachable', message: `${at.host} did not answer: ${message}` },
    };
  };

  // The URL list of the request (FETCH #concept-request-url-list), for the redirect taint (R26).
  const urlList: URL[] = [url];
  // Preflights that succeeded, by URL: the preflight cache is keyed by origin and URL (R20).
  const preflighted = new Set<string>();
  let current = url;
  let currentMethod = method;
  for (let hop = 0; ; hop++) {
    const hopOrigin = taintedOrigin(origin, urlList);
    const need = hop === 0 ? first : preflightNeed(currentMethod, sent, browser);
    const acrh = buildAcrh(need.unsafeNames);
    const where = hop === 0 ? '' : ` (after ${hop} redirect${hop === 1 ? '' : 's'}, to ${current.href})`;
    const record: RedirectHop | undefined =
      hop === 0 ? undefined : { url: current.href, origin: hopOrigin, method: currentMethod };
    if (record !== undefined) redirects.push(record);
    steps.push({
      phase: 'preflight',
      status: 'info',
      rule: 'R3',
      message: need.needed
        ? `a preflight is needed${where}: ${need.reasons.join('; ')}`
        : `no preflight${where}: the method is GET, HEAD or POST and every header is CORS-safelisted`,
    });
    if (need.needed && !preflighted.has(current.href)) {
      // R9: OPTIONS, Accept: */*, ACRM, ACRH only when non-empty, Origin; never credentials.
      const request: HeaderPair[] = [
        ['Accept', '*/*'],
        ['Access-Control-Request-Method', currentMethod],
      ];
      if (acrh !== null) request.push(['Access-Control-Request-Headers', acrh]);
      request.push(['Origin', hopOrigin]);
      let trace: ExchangeTrace = { request: { method: 'OPTIONS', url: current.href, headers: request } };
      let answer: Exchange;
      try {
        answer = await exchange(current, 'OPTIONS', request, timeoutMs);
      } catch (e) {
        if (hop === 0) firstPreflight = trace;
        else record!.preflight = trace;
        return unreachable(e, current);
      }
      trace = { ...trace, response: { status: answer.status, headers: answer.headers } };
      if (hop === 0) firstPreflight = trace;
      else record!.preflight = trace;
      const lines = headerLinesFromRaw(answer.raw);
      findMistakes(lines, answer.status, hopOrigin, credentials, 'preflight', mistakes);
      const results = checkPreflight({
        status: answer.status,
        headers: lines,
        origin: hopOrigin,
        method: currentMethod,
        unsafeNames: need.unsafeNames,
        requestHeaderNames: sent.map(([n]) => n.toLowerCase()),
        credentials,
        browser,
      });
      for (const r of results) {
        steps.push({
          phase: 'preflight',
          status: r.ok ? 'pass' : 'fail',
          rule: r.rule,
          message: r.message,
          ...(r.header === undefined ? {} : { header: r.header, value: r.value ?? null }),
          ...(r.fix === undefined ? {} : { fix: r.fix }),
        });
        if (r.warning !== undefined)
          steps.push({
            phase: 'preflight',
            status: 'warn',
            rule: r.rule,
            message: r.warning,
            fix: 'add Authorization to Access-Control-Allow-Headers',
          });
      }
      if (results.some((r) => !r.ok)) return done('blocked');
      const cache = preflightCacheSeconds(lines, browser);
      if (hop === 0) cacheSeconds = cache.seconds;
      if (cache.seconds > 0) preflighted.add(current.href);
      steps.push({ phase: 'preflight', status: 'info', rule: 'R21', message: cache.explanation });
    }

    const actualHeaders: HeaderPair[] = [...sent, ['Origin', hopOrigin]];
    let actual: ExchangeTrace = {
      request: { method: currentMethod, url: current.href, headers: actualHeaders },
    };
    let answer: Exchange;
    try {
      answer = await exchange(current, currentMethod, actualHeaders, timeoutMs);
    } catch (e) {
      if (hop === 0) firstActual = actual;
      else record!.actual = actual;
      return unreachable(e, current);
    }
    actual = { ...actual, response: { status: answer.status, headers: answer.headers } };
    if (hop === 0) firstActual = actual;
    else record!.actual = actual;
    const lines = headerLinesFromRaw(answer.raw);
    findMistakes(lines, answer.status, hopOrigin, credentials, 'actual', mistakes);
    // R11: the CORS check runs on whatever comes back, redirects included, before they are followed.
    const cors = corsCheck(lines, hopOrigin, credentials);
    if (!cors.ok) {
      steps.push({
        phase: 'actual',
        status: 'fail',
        rule: hop === 0 ? cors.rule : 'R11',
        message: `${cors.message}${where}`,
        ...(cors.header === undefined ? {} : { header: cors.header, value: cors.value ?? null }),
        fix: cors.fix,
      });
    } else {
      steps.push({
        phase: 'actual',
        status: 'pass',
        rule: 'R10',
        message: `status ${answer.status}${where}: ${cors.note ?? 'the CORS check passes'} (any status is shared, R12)`,
      });
    }
    if (hop === 0 && !varyCoversOrigin(lines)) {
      // Re-sending is safe only for GET and HEAD; otherwise an echoed origin is the evidence.
      const probe = options.probeVary !== false && (method === 'GET' || method === 'HEAD');
      await checkVary(current, method, sent, origin, lines, timeoutMs, probe, mistakes);
    }
    if (!cors.ok) return done('blocked');

    const location = getHeader(lines, 'location');
    if (!REDIRECT_STATUSES.has(answer.status) || location === null) {
      const readable = readableHeaders(lines, credentials);
      steps.push({
        phase: 'exposure',
        status: 'info',
        rule: 'R22',
        message: `the script can read: ${readable.length === 0 ? '(no headers)' : readable.join(', ')}${lines.has('set-cookie') ? ' (never Set-Cookie, R23)' : ''}`,
      });
      return done('allowed', readable);
    }

    // FETCH #http-redirect-fetch (R25): follow, at most 20 times.
    const next = redirectTarget(current, location);
    const fail = (message: string, fix: string): CheckTrace => {
      steps.push({
        phase: 'actual',
        status: 'fail',
        rule: 'R25',
        message,
        header: 'Location',
        value: location,
        fix,
      });
      return done('blocked');
    };
    if (next === null) return fail(`Location "${location}" is not a URL`, 'send an absolute or relative URL');
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      return fail(
        `the redirect goes to a ${next.protocol} URL; fetch only follows http(s)`,
        'redirect to an http(s) URL',
      );
    if (hop + 1 > MAX_REDIRECTS)
      return fail(`more than ${MAX_REDIRECTS} redirects`, 'end the redirect chain');
    if (next.username !== '' || next.password !== '')
      return fail(
        'the redirect URL carries a user name or password, which a CORS request never follows',
        'remove the credentials from Location',
      );
    // 303, and 301/302 after POST, turn into GET without a body (and its Content-* headers).
    if (
      (answer.status === 303 && currentMethod !== 'HEAD') ||
      ((answer.status === 301 || answer.status === 302) && currentMethod === 'POST')
    ) {
      currentMethod = 'GET';
      sent = sent.filter(([n]) => !REQUEST_BODY_HEADERS.has(n.toLowerCase()));
    }
    // Authorization is dropped when the redirect crosses origins (FETCH commit 9004f4e).
    if (next.origin !== current.origin) sent = sent.filter(([n]) => n.toLowerCase() !== 'authorization');
    urlList.push(next);
    const nextOrigin = taintedOrigin(origin, urlList);
    steps.push({
      phase: 'actual',
      status: 'info',
      rule: nextOrigin === 'null' && origin !== 'null' ? 'R26' : 'R25',
      message: `status ${answer.status}: the browser follows the redirect to ${next.href}${nextOrigin === 'null' && origin !== 'null' ? ', and because it crossed origins the Origin becomes "null" from now on' : ''}`,
    });
    current = next;
  }
}

/** FETCH #redirect-status. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** FETCH #http-redirect-fetch: the limit on redirects a fetch follows. */
export const MAX_REDIRECTS = 20;
/** FETCH #request-body-header-name: dropped when a redirect turns the request into a GET. */
const REQUEST_BODY_HEADERS: ReadonlySet<string> = new Set([
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
]);

/** One redirect hop after the first request: where it went, with which Origin, what came back. */
export interface RedirectHop {
  readonly url: string;
  /** The Origin sent on this hop: the page's, or "null" once the chain is redirect-tainted (R26). */
  readonly origin: string;
  readonly method: string;
  preflight?: ExchangeTrace;
  actual?: ExchangeTrace;
}

function redirectTarget(base: URL, location: string): URL | null {
  try {
    const next = new URL(location, base);
    // A fragment-less Location inherits the current fragment; irrelevant for HTTP, so drop it.
    next.hash = '';
    return next;
  } catch {
    return null;
  }
}

/**
 * FETCH #serializing-a-request-origin with #concept-request-tainted-origin (R26): "null" once a
 * hop went from one origin to another while the request's origin differed from the one it left.
 */
export function taintedOrigin(origin: string, urlList: readonly URL[]): string {
  for (let i = 1; i < urlList.length; i++) {
    const last = urlList[i - 1]!.origin;
    if (urlList[i]!.origin !== last && origin !== last) return 'null';
  }
  return origin;
}

function varyCoversOrigin(lines: HeaderLines): boolean {
  const vary = getHeader(lines, 'vary');
  if (vary === null) return false;
  return vary.split(',').some((t) => {
    const token = t.trim().toLowerCase();
    return token === 'origin' || token === '*';
  });
}

function findMistakes(
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
      code: 'acac-with-wildcard',
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
async function checkVary(
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
        const other = headerLinesFromRaw((await exchange(url, method, probeHeaders, timeoutMs)).raw);
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
