/**
 * The response side of the browser's CORS logic: the CORS check (R10), preflight success
 * (R14–R19), max-age and each browser's cap (R20/R21), and which headers a script can read
 * (R22/R23). Every function is pure: headers in, verdict out.
 */
import {
  FORBIDDEN_RESPONSE_HEADERS,
  isToken,
  NON_WILDCARD_REQUEST_HEADER,
  SAFELISTED_METHODS,
  SAFELISTED_RESPONSE_HEADERS,
  trimOws,
} from './fetch-names.js';

/** Response header lines: lower-case name → every line's value, in order, OWS-trimmed. */
export type HeaderLines = ReadonlyMap<string, readonly string[]>;

/** Builds `HeaderLines` from node:http `rawHeaders` (name, value, name, value…), keeping every line. */
export function headerLinesFromRaw(raw: readonly string[]): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const list = lines.get(name);
    const value = trimOws(raw[i + 1]!);
    if (list === undefined) lines.set(name, [value]);
    else list.push(value);
  }
  return lines;
}

/** #concept-header-list-get: every line of a name joined by `, `; null when absent. */
export function getHeader(headers: HeaderLines, name: string): string | null {
  const values = headers.get(name.toLowerCase());
  return values === undefined || values.length === 0 ? null : values.join(', ');
}

export type Browser = 'chromium' | 'firefox' | 'safari';
export const BROWSERS: readonly Browser[] = ['chromium', 'firefox', 'safari'];

/** A failed check: which header, what it held, what a browser says, and what to change. */
export interface Failure {
  readonly rule: string;
  readonly header?: string;
  /** The header's combined value, or null when it was absent. */
  readonly value?: string | null;
  readonly message: string;
  readonly fix: string;
}

export type CheckResult = { readonly ok: true; readonly note?: string } | ({ readonly ok: false } & Failure);

const ACAO = 'Access-Control-Allow-Origin';
const ACAC = 'Access-Control-Allow-Credentials';

/**
 * #cors-check (R10, R13). `origin` is the byte-serialized request origin; `credentials` is true
 * when the request's credentials mode is `include`.
 */
export function corsCheck(headers: HeaderLines, origin: string, credentials: boolean): CheckResult {
  // R10.1: "get" joins several ACAO lines with ", ", so two lines can never match anything.
  const acao = getHeader(headers, ACAO);
  const lines = headers.get('access-control-allow-origin')?.length ?? 0;
  if (acao === null)
    return {
      ok: false,
      rule: 'R10',
      header: ACAO,
      value: null,
      message: `the response has no ${ACAO} header`,
      fix: `answer with ${ACAO}: ${credentials ? origin : `${origin} (or *)`}`,
    };
  if (lines > 1)
    return {
      ok: false,
      rule: 'R10',
      header: ACAO,
      value: acao,
      message: `the response has ${lines} ${ACAO} lines; a browser joins them into "${acao}", which matches no origin`,
      fix: `send exactly one ${ACAO} line (a proxy or framework probably adds a second one)`,
    };
  if (!credentials && acao === '*')
    return { ok: true, note: `${ACAO}: * allows any origin without credentials` };
  if (acao !== origin) {
    let fix = `answer with ${ACAO}: ${origin}`;
    let message = `${ACAO} is "${acao}", which is not byte-for-byte the request origin "${origin}"`;
    if (acao === '*') {
      message = `${ACAO} is "*", which a browser does not accept for a request with credentials (R18)`;
      fix = `with credentials, echo the exact origin: ${ACAO}: ${origin} (and Vary: Origin)`;
    } else if (acao === `${origin}/`) {
      message = `${ACAO} is "${acao}": the trailing slash makes it differ from the origin "${origin}"`;
      fix = `remove the trailing slash: ${ACAO}: ${origin}`;
    } else if (acao.toLowerCase() === origin.toLowerCase()) {
      message = `${ACAO} is "${acao}": the comparison is case-sensitive and the origin is "${origin}"`;
      fix = `send the origin exactly as the browser wrote it: ${ACAO}: ${origin}`;
    }
    return { ok: false, rule: 'R10', header: ACAO, value: acao, message, fix };
  }
  if (!credentials) return { ok: true, note: `${ACAO} matches the origin exactly` };
  const acac = getHeader(headers, ACAC);
  if (acac !== 'true')
    return {
      ok: false,
      rule: 'R10',
      header: ACAC,
      value: acac,
      message:
        acac === null
          ? `the request carries credentials but the response has no ${ACAC} header`
          : `${ACAC} is "${acac}"; with credentials it must be exactly "true" (lower case, one line)`,
      fix: `answer with ${ACAC}: true`,
    };
  return { ok: true, note: `${ACAO} matches the origin exactly and ${ACAC} is true` };
}

/**
 * #extract-header-list-values with a `#token` grammar (R15): every line joined, split on `,`,
 * OWS trimmed, empty elements tolerated; any element that is not a token fails the whole list.
 * Returns null when the header is absent, `{ invalid }` when an element is not a token.
 */
export function parseTokenList(
  headers: HeaderLines,
  name: string,
): { readonly items: readonly string[] } | { readonly invalid: string } | null {
  const lines = headers.get(name.toLowerCase());
  if (lines === undefined) return null;
  const items: string[] = [];
  for (const line of lines) {
    for (const raw of line.split(',')) {
      const item = trimOws(raw);
      if (item === '') continue;
      if (!isToken(item)) return { invalid: item };
      items.push(item);
    }
  }
  return { items };
}

/** How a browser treats `Authorization` under `Access-Control-Allow-Headers: *` (R17). */
export interface BrowserProfile {
  readonly name: Browser;
  /**
   * The spec says `*` never covers Authorization (#cors-non-wildcard-request-header-name), but
   * Chrome, Firefox and Safari all allow it today (whatwg/fetch#1919, open since 2026-04).
   * The model follows the shipping browser and warns, so that `check` agrees with the browser.
   * Measured in Chromium, Firefox ESR and WebKitGTK by the browser suite (docs/browsers.md).
   */
  readonly authorizationCoveredByWildcard: boolean;
  /** R21: the most seconds this browser caches a preflight (from its source: docs/browsers.md). */
  readonly maxAgeCap: number;
}

export const PROFILES: Readonly<Record<Browser, BrowserProfile>> = {
  chromium: { name: 'chromium', authorizationCoveredByWildcard: true, maxAgeCap: 7200 },
  firefox: { name: 'firefox', authorizationCoveredByWildcard: true, maxAgeCap: 86_400 },
  safari: { name: 'safari', authorizationCoveredByWildcard: true, maxAgeCap: 600 },
};

export interface PreflightInput {
  readonly status: number;
  readonly headers: HeaderLines;
  readonly origin: string;
  /** The normalised method of the actual request. */
  readonly method: string;
  /** The CORS-unsafe request-header names (sorted lower case, as in ACRH). */
  readonly unsafeNames: readonly string[];
  /** Every request-header name the script set (lower case), for the Authorization rule. */
  readonly requestHeaderNames: readonly string[];
  readonly credentials: boolean;
  readonly browser: Browser;
}

export interface PreflightStep {
  readonly id: 'status' | 'cors-check' | 'methods' | 'headers';
  readonly rule: string;
  readonly ok: boolean;
  readonly message: string;
  readonly header?: string;
  readonly value?: string | null;
  readonly fix?: string;
  /** Passed, but only because a browser deviates from the spec; says what to change anyway. */
  readonly warning?: string;
}

const ACAM = 'Access-Control-Allow-Methods';
const ACAH = 'Access-Control-Allow-Headers';

/**
 * #cors-preflight-fetch-0 steps 7 onward (R14–R19): the steps in order, stopping at the first
 * failure, as a browser does.
 */
export function checkPreflight(input: PreflightInput): PreflightStep[] {
  const steps: PreflightStep[] = [];
  const { status, headers, credentials } = input;
  // R14/R19: the CORS check runs with the actual request's credentials mode.
  const cors = corsCheck(headers, input.origin, credentials);
  const okStatus = status >= 200 && status <= 299;
  if (!cors.ok) {
    steps.push({
      id: 'cors-check',
      rule: credentials ? 'R19' : 'R14',
      ok: false,
      message: `${cors.message}${credentials ? ' (the preflight must pass the credentialed CORS check too)' : ''}`,
      header: cors.header!,
      value: cors.value ?? null,
      fix: cors.fix,
    });
    if (!okStatus) steps.push(statusStep(status, headers));
    return steps;
  }
  steps.push({ id: 'cors-check', rule: 'R14', ok: true, message: cors.note ?? 'the CORS check passes' });
  if (!okStatus) {
    steps.push(statusStep(status, headers));
    return steps;
  }
  steps.push({ id: 'status', rule: 'R14', ok: true, message: `status ${status} is an ok status (200-299)` });

  const methods = parseTokenList(headers, ACAM);
  const headerNames = parseTokenList(headers, ACAH);
  if (methods !== null && 'invalid' in methods) {
    steps.push({
      id: 'methods',
      rule: 'R15',
      ok: false,
      message: `${ACAM} contains "${methods.invalid}", which is not a method token, so the browser rejects the whole preflight`,
      header: ACAM,
      value: getHeader(headers, ACAM),
      fix: `send a comma-separated list of method tokens, e.g. ${ACAM}: ${input.method}`,
    });
    return steps;
  }
  if (headerNames !== null && 'invalid' in headerNames) {
    steps.push({
      id: 'headers',
      rule: 'R15',
      ok: false,
      message: `${ACAH} contains "${headerNames.invalid}", which is not a header-name token, so the browser rejects the whole preflight`,
      header: ACAH,
      value: getHeader(headers, ACAH),
      fix: `send a comma-separated list of header names${input.unsafeNames.length > 0 ? `, e.g. ${ACAH}: ${input.unsafeNames.join(', ')}` : ''}`,
    });
    return steps;
  }
  const methodList = methods?.items ?? [];
  const nameList = (headerNames?.items ?? []).map((n) => n.toLowerCase());
  steps.push(methodStep(input, methodList, getHeader(headers, ACAM)));
  if (!steps[steps.length - 1]!.ok) return steps;
  steps.push(headersStep(input, nameList, getHeader(headers, ACAH)));
  return steps;
}

function statusStep(status: number, headers: HeaderLines): PreflightStep {
  let message = `the preflight was answered ${status}, not an ok status (200-299)`;
  let fix = 'answer OPTIONS preflights with 204 (or 200) and the CORS headers';
  if (status >= 300 && status <= 399) {
    const location = getHeader(headers, 'location');
    message = `the preflight was answered with a redirect (${status}${location === null ? '' : ` to ${location}`}); browsers never follow a redirect on a preflight (R27)`;
    fix = 'call the final URL directly, or answer OPTIONS at this URL without redirecting';
  } else if (status === 401) {
    message = `the preflight was answered 401: something in front of the API demands authentication, but a browser never sends credentials on a preflight (R9)`;
    fix =
      'let OPTIONS requests with Origin and Access-Control-Request-Method through the auth layer unauthenticated';
  } else if (status === 403) {
    message =
      'the preflight was answered 403: the CORS policy refuses this origin, method or header, or an authentication layer in front of the API rejects the unauthenticated OPTIONS (a browser never sends credentials on a preflight, R9)';
    fix =
      'if the origin, method and headers should be allowed, add them to the CORS policy; if an auth layer answers, exempt CORS preflights from it';
  }
  return { id: 'status', rule: status >= 300 && status <= 399 ? 'R27' : 'R14', ok: false, message, fix };
}

function methodStep(input: PreflightInput, methods: readonly string[], raw: string | null): PreflightStep {
  const { method, credentials } = input;
  if (SAFELISTED_METHODS.has(method))
    return { id: 'methods', rule: 'R16', ok: true, message: `${method} is safelisted and needs no ${ACAM}` };
  if (methods.includes(method))
    return { id: 'methods', rule: 'R16', ok: true, message: `${ACAM} lists ${method}` };
  if (!credentials && methods.includes('*'))
    return {
      id: 'methods',
      rule: 'R18',
      ok: true,
      message: `${ACAM}: * allows any method without credentials`,
    };
  const caseMiss = methods.find((m) => m.toUpperCase() === method.toUpperCase());
  let message =
    raw === null
      ? `the preflight response has no ${ACAM} header, so ${method} is not allowed`
      : `${ACAM} is "${raw}", which does not list ${method}`;
  if (caseMiss !== undefined)
    message += ` (it lists "${caseMiss}", but methods are compared case-sensitively, R16)`;
  else if (credentials && methods.includes('*'))
    message += ' (with credentials "*" is the literal method name "*", not a wildcard, R18)';
  return {
    id: 'methods',
    rule: 'R16',
    ok: false,
    message,
    header: ACAM,
    value: raw,
    fix: `add ${method} to ${ACAM}`,
  };
}

function headersStep(input: PreflightInput, names: readonly string[], raw: string | null): PreflightStep {
  const { credentials, unsafeNames } = input;
  const star = names.includes('*');
  const profile = PROFILES[input.browser];
  let warning: string | undefined;
  // R17a: Authorization is a CORS non-wildcard request-header name.
  if (
    input.requestHeaderNames.includes(NON_WILDCARD_REQUEST_HEADER) &&
    !names.includes(NON_WILDCARD_REQUEST_HEADER)
  ) {
    if (!(star && !credentials && profile.authorizationCoveredByWildcard))
      return {
        id: 'headers',
        rule: 'R17',
        ok: false,
        message:
          raw === null
            ? `the preflight response has no ${ACAH} header, so Authorization is not allowed`
            : `${ACAH} is "${raw}", which does not list Authorization${star ? ' ("*" never covers Authorization)' : ''}`,
        header: ACAH,
        value: raw,
        fix: `add Authorization to ${ACAH} explicitly`,
      };
    warning = `${ACAH}: * covers Authorization in ${input.browser} today, but the Fetch Standard says it never does (R17, whatwg/fetch#1919); list Authorization explicitly so a conforming browser keeps working`;
  }
  for (const name of unsafeNames) {
    if (names.includes(name)) continue;
    if (!credentials && star) continue;
    return {
      id: 'headers',
      rule: 'R17',
      ok: false,
      message:
        (raw === null
          ? `the preflight response has no ${ACAH} header, so the request header ${name} is not allowed`
          : `${ACAH} is "${raw}", which does not list the request header ${name}`) +
        (credentials && star ? ' (with credentials "*" is a literal name, not a wildcard, R18)' : ''),
      header: ACAH,
      value: raw,
      fix: `add ${name} to ${ACAH}`,
    };
  }
  const message =
    unsafeNames.length === 0
      ? 'no CORS-unsafe request headers to allow'
      : `${ACAH} allows ${unsafeNames.join(', ')}${star && !credentials ? ' (by *)' : ''}`;
  return warning === undefined
    ? { id: 'headers', rule: 'R17', ok: true, message }
    : { id: 'headers', rule: 'R17', ok: true, message, warning };
}

/** R20/R21: how long a browser caches this preflight. */
export interface MaxAgeResult {
  readonly value: string | null;
  /** Seconds the browser keeps the entry (0: not cached). */
  readonly seconds: number;
  readonly explanation: string;
}

/** R20 (spec), R21 (each browser's parsing and cap, read from its source). */
export function preflightCacheSeconds(headers: HeaderLines, browser: Browser): MaxAgeResult {
  const value = getHeader(headers, 'access-control-max-age');
  const cap = PROFILES[browser].maxAgeCap;
  if (value === null)
    return {
      value,
      seconds: 5,
      explanation: `no Access-Control-Max-Age: ${browser} caches the preflight for 5 s`,
    };
  if (/^[0-9]+$/.test(value)) {
    const n = Number(value);
    if (n === 0) return { value, seconds: 0, explanation: `Access-Control-Max-Age: 0 disables caching` };
    if (n > cap)
      return {
        value,
        seconds: cap,
        explanation: `${browser} caps Access-Control-Max-Age at ${cap} s, so ${n} s becomes ${cap} s`,
      };
    return { value, seconds: n, explanation: `${browser} caches the preflight for ${n} s` };
  }
  // Firefox returns early on any non-digit (GECKO-PF): not cached. Chromium and WebKit parse an
  // integer: a negative one means "do not cache", anything unparsable falls back to 5 s.
  if (browser === 'firefox')
    return {
      value,
      seconds: 0,
      explanation: `"${value}" is not a number of seconds: firefox does not cache the preflight`,
    };
  if (/^-[0-9]+$/.test(value))
    return {
      value,
      seconds: 0,
      explanation: `a negative Access-Control-Max-Age means ${browser} does not cache the preflight`,
    };
  return {
    value,
    seconds: 5,
    explanation: `"${value}" is not a number of seconds: ${browser} falls back to 5 s`,
  };
}

/** R22/R23: the response header names (lower case) a script can read. */
export function readableHeaders(headers: HeaderLines, credentials: boolean): string[] {
  const exposed = parseTokenList(headers, 'access-control-expose-headers');
  // R22: a parse failure exposes nothing extra (all or nothing).
  const list = exposed === null || 'invalid' in exposed ? [] : exposed.items.map((n) => n.toLowerCase());
  const all = !credentials && list.includes('*');
  const readable: string[] = [];
  for (const name of headers.keys()) {
    if (FORBIDDEN_RESPONSE_HEADERS.has(name)) continue;
    if (SAFELISTED_RESPONSE_HEADERS.has(name) || all || list.includes(name)) readable.push(name);
  }
  return readable.sort();
}

/**
 * R24: does `Vary` name `Origin` (or `*`)? A cache, the browser's own included, keys an answer by
 * the request headers `Vary` names; without `Origin` one origin's answer is replayed to another.
 */
export function varyCoversOrigin(lines: HeaderLines): boolean {
  const vary = getHeader(lines, 'vary');
  if (vary === null) return false;
  return vary.split(',').some((t) => {
    const token = t.trim().toLowerCase();
    return token === 'origin' || token === '*';
  });
}
