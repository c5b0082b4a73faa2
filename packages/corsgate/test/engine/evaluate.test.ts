import { describe, expect, it } from 'vitest';
import {
  type CorsConfig,
  createPolicy,
  type Decision,
  MAX_ACRH_EMPTY_ELEMENTS,
  MAX_ACRH_LENGTH,
  MAX_ACRH_NAMES,
  MAX_ORIGIN_LENGTH,
  type RequestFacts,
} from '../../src/index.js';

// Rule ids (R2, R16, §3.1, §4 …) are those of the rulebook, docs/rules.md.

const APP = 'https://app.example.com';

/** Credentialed, explicit lists: the shape most deployments have. */
const STRICT: CorsConfig = {
  origins: [APP, 'https://*.example.org', 'http://localhost:*', 'http://127.0.0.1:8080', 'https://[::1]'],
  credentials: true,
  methods: ['PUT', 'patch', 'DELETE'],
  requestHeaders: ['x-a', 'X-B', 'content-type', 'authorization'],
  exposeHeaders: ['X-Total'],
  maxAge: 600,
};
/** Every origin, no credentials: ACAO `*` everywhere and no Vary (R24). */
const ANON: CorsConfig = {
  origins: ['*'],
  methods: ['PUT'],
  requestHeaders: ['*'],
  exposeHeaders: ['X-Total'],
};
const DEBUG: CorsConfig = { ...STRICT, debug: true };

interface Row {
  description: string;
  config: CorsConfig;
  request: RequestFacts;
  expected: Omit<Decision, 'detail'> & { detail?: string };
}

const allowedPreflight = (headers: Record<string, string>, status = 204): Row['expected'] => ({
  kind: 'preflight',
  allowed: true,
  status,
  headers,
  vary: ['Origin'],
  reason: 'origin-allowed',
});
/** A refused preflight; a method or header refusal names every missing item (by default only `detail`). */
const refusedPreflight = (
  reason: Decision['reason'],
  detail?: string,
  missing: Decision['missing'] = reason === 'method-not-allowed'
    ? { method: detail!, headers: [] }
    : reason === 'headers-not-allowed'
      ? { headers: [detail!] }
      : undefined,
): Row['expected'] => ({
  kind: 'preflight',
  allowed: false,
  status: 403,
  headers: {},
  vary: ['Origin'],
  reason,
  ...(detail === undefined ? {} : { detail }),
  ...(missing === undefined ? {} : { missing }),
});
const allowedActual = (origin: string): Row['expected'] => ({
  kind: 'actual',
  allowed: true,
  status: undefined,
  headers: {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'X-Total',
  },
  vary: ['Origin'],
  reason: 'origin-allowed',
});
const refusedActual = (reason: Decision['reason'], detail?: string): Row['expected'] => ({
  kind: 'actual',
  allowed: false,
  status: undefined,
  headers: {},
  vary: ['Origin'],
  reason,
  ...(detail === undefined ? {} : { detail }),
});
const STRICT_PUT = {
  'Access-Control-Allow-Origin': APP,
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Allow-Methods': 'PUT',
  'Access-Control-Max-Age': '600',
};
const preflight = (origin: string | string[], acrm: string | string[], acrh?: string | string[]) => ({
  method: 'OPTIONS',
  origin,
  accessControlRequestMethod: acrm,
  ...(acrh === undefined ? {} : { accessControlRequestHeaders: acrh }),
});

const classification: Row[] = [
  {
    description: 'R2: OPTIONS with Origin and Access-Control-Request-Method is a preflight, answered 204',
    config: STRICT,
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight(STRICT_PUT),
  },
  {
    description: 'R2: OPTIONS with Origin but no Access-Control-Request-Method is an actual request',
    config: STRICT,
    request: { method: 'OPTIONS', origin: APP },
    expected: allowedActual(APP),
  },
  {
    description: 'R2: OPTIONS whose ACRM list is empty is an actual request',
    config: STRICT,
    request: { method: 'OPTIONS', origin: APP, accessControlRequestMethod: [] },
    expected: allowedActual(APP),
  },
  {
    description:
      'R2: OPTIONS with ACRM but no Origin is not a CORS request, and still varies by Origin (R24)',
    config: STRICT,
    request: { method: 'OPTIONS', accessControlRequestMethod: 'PUT' },
    expected: {
      kind: 'not-cors',
      allowed: true,
      status: undefined,
      headers: {},
      vary: ['Origin'],
      reason: 'not-cors',
    },
  },
  {
    description: 'R2: a PUT carrying ACRM is an actual request, not a preflight',
    config: STRICT,
    request: { method: 'PUT', origin: APP, accessControlRequestMethod: 'PUT' },
    expected: allowedActual(APP),
  },
  {
    description: 'R1: a GET without Origin is not CORS; no headers, Vary: Origin all the same (R24)',
    config: STRICT,
    request: { method: 'GET' },
    expected: {
      kind: 'not-cors',
      allowed: true,
      status: undefined,
      headers: {},
      vary: ['Origin'],
      reason: 'not-cors',
    },
  },
  {
    description: 'R1: an empty list of Origin lines is no Origin',
    config: STRICT,
    request: { method: 'GET', origin: [] },
    expected: {
      kind: 'not-cors',
      allowed: true,
      status: undefined,
      headers: {},
      vary: ['Origin'],
      reason: 'not-cors',
    },
  },
  {
    description: 'R12: an allowed actual GET gets ACAO, ACAC and ACEH but no status',
    config: STRICT,
    request: { method: 'GET', origin: APP },
    expected: allowedActual(APP),
  },
];

const sameOrigin = (request: RequestFacts): Row => ({
  description: '',
  config: STRICT,
  request,
  expected: {
    kind: 'same-origin',
    allowed: true,
    status: undefined,
    headers: {},
    vary: ['Origin'],
    reason: 'same-origin',
  },
});
const SELF = { host: 'api.example.net', scheme: 'https' };
const sameOriginRows: Row[] = [
  {
    ...sameOrigin({ method: 'POST', origin: 'https://api.example.net', ...SELF }),
    description: 'same-origin: Origin equal to scheme://Host passes untouched',
  },
  {
    ...sameOrigin({
      method: 'POST',
      origin: 'https://api.example.net',
      host: 'api.example.net:443',
      scheme: 'https',
    }),
    description: 'same-origin: a Host with the default port still names the server’s own origin (§3.1)',
  },
  {
    ...sameOrigin({
      method: 'POST',
      origin: 'https://api.example.net',
      host: 'API.Example.NET',
      scheme: 'https',
    }),
    description: 'same-origin: Host is case-insensitive',
  },
  {
    ...sameOrigin({ method: 'POST', origin: 'http://[::1]:8080', host: '[::1]:8080', scheme: 'http' }),
    description: 'same-origin: an IPv6 Host with a port',
  },
  {
    ...sameOrigin({ method: 'POST', origin: 'https://other.example', secFetchSite: 'same-origin' }),
    description: 'same-origin: Sec-Fetch-Site: same-origin',
  },
  {
    description:
      'same-origin: only exactly scheme://host — "https:/a" + host of the same length is malformed',
    config: STRICT,
    request: { method: 'POST', origin: 'https:/aapi.example.net', ...SELF },
    expected: refusedActual('origin-malformed', 'https:/aapi.example.net'),
  },
  {
    description:
      'same-origin: only exactly scheme://host — "https:xx" + host of the same length is malformed',
    config: STRICT,
    request: { method: 'POST', origin: 'https:xxapi.example.net', ...SELF },
    expected: refusedActual('origin-malformed', 'https:xxapi.example.net'),
  },
  {
    description: 'same-origin: another scheme is another origin',
    config: STRICT,
    request: { method: 'POST', origin: 'http://api.example.net', ...SELF },
    expected: refusedActual('origin-not-allowed', 'http://api.example.net'),
  },
  {
    description: 'same-origin: another port is another origin',
    config: STRICT,
    request: { method: 'POST', origin: 'https://api.example.net:8443', ...SELF },
    expected: refusedActual('origin-not-allowed', 'https://api.example.net:8443'),
  },
  {
    description: 'same-origin: Sec-Fetch-Site: cross-site does not make a request same-origin',
    config: STRICT,
    request: { method: 'POST', origin: 'https://evil.example', secFetchSite: 'cross-site' },
    expected: refusedActual('origin-not-allowed', 'https://evil.example'),
  },
];

// A host of exactly 253 characters under *.example.org (RFC 1035 bound, §4 "Origin length").
const LONGEST_HOST = `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(49)].join('.')}.example.org`;
const OVERLONG = `https://${'a'.repeat(MAX_ORIGIN_LENGTH + 1 - 'https://'.length - '.example.org'.length)}.example.org`;

const originRows: Row[] = [
  ...(
    [
      ['§3.1: upper case in the host', 'https://APP.example.com'],
      ['§3.1: upper case in the scheme', 'HTTPS://app.example.com'],
      ['§3.1: a trailing slash', 'https://app.example.com/'],
      ['§3.1: the default port written out', 'https://app.example.com:443'],
      ['§3.1: a port with a leading zero', 'http://127.0.0.1:08080'],
      ['§3.1: a path', 'https://app.example.com/x'],
      ['§3.1: a query', 'https://app.example.com?x'],
      ['§3.1: userinfo', 'https://user@app.example.com'],
      ['§3.1: two origins joined by ", " (a proxy folding two lines)', `${APP}, ${APP}`],
      ['§3.1: surrounding white space', ` ${APP}`],
      ['§3.1: no host', 'https://'],
      ['§3.1: an empty Origin', ''],
      ['§3.1: IPv4 with a leading zero', 'http://127.000.0.1:8080'],
      ['§3.1: IPv4 in hex', 'http://0x7f.0.0.1:8080'],
      ['§3.1: IPv4 in three parts', 'http://127.0.1:8080'],
      ['§3.1: IPv6 uncompressed', 'https://[0:0:0:0:0:0:0:1]'],
      ['§3.1: IPv6 in upper case', 'https://[::A]'],
      ['§3.1: IPv6 with a leading zero in a group', 'https://[::01]'],
      ['§3.1: IPv6 with embedded IPv4', 'https://[::127.0.0.1]'],
      ['§3.1: IPv6 without brackets', 'https://::1'],
      ['§4 Origin length: one character over MAX_ORIGIN_LENGTH', OVERLONG],
    ] as const
  ).map(
    ([what, origin]): Row => ({
      description: `${what} is not allowed (origin-malformed), with Vary: Origin`,
      config: STRICT,
      request: { method: 'GET', origin },
      // `detail` is clipped to 256 characters so a hostile value cannot flood a log line.
      expected: refusedActual('origin-malformed', origin.length > 256 ? `${origin.slice(0, 256)}…` : origin),
    }),
  ),
  {
    description: '§3.1: a malformed Origin on a preflight is a 403 without CORS headers',
    config: STRICT,
    request: preflight('https://app.example.com/', 'PUT'),
    expected: refusedPreflight('origin-malformed', 'https://app.example.com/'),
  },
  {
    description: '§3.2: two Origin lines are refused (browsers send exactly one)',
    config: STRICT,
    request: { method: 'GET', origin: [APP, APP] },
    expected: refusedActual('origin-multiple'),
  },
  {
    description: '§3.2: two Origin lines on a preflight are a 403',
    config: STRICT,
    request: preflight([APP, APP], 'PUT'),
    expected: refusedPreflight('origin-multiple'),
  },
  {
    description: '§3.1: one Origin line given as a one-element list is that origin',
    config: STRICT,
    request: { method: 'GET', origin: [APP] },
    expected: allowedActual(APP),
  },
  {
    description: '§4 Origin length: a 253-character host under an allowed wildcard is allowed',
    config: STRICT,
    request: { method: 'GET', origin: `https://${LONGEST_HOST}` },
    expected: allowedActual(`https://${LONGEST_HOST}`),
  },
  {
    description: '§3.1: canonical IPv4 with a port is matched exactly',
    config: STRICT,
    request: { method: 'GET', origin: 'http://127.0.0.1:8080' },
    expected: allowedActual('http://127.0.0.1:8080'),
  },
  {
    description: '§3.1: canonical IPv6 is matched exactly',
    config: STRICT,
    request: { method: 'GET', origin: 'https://[::1]' },
    expected: allowedActual('https://[::1]'),
  },
  {
    description: '§3.1: a :* entry admits the host with any port',
    config: STRICT,
    request: { method: 'GET', origin: 'http://localhost:5173' },
    expected: allowedActual('http://localhost:5173'),
  },
  {
    description: '§3.1: a :* entry admits the host without a port',
    config: STRICT,
    request: { method: 'GET', origin: 'http://localhost' },
    expected: allowedActual('http://localhost'),
  },
  {
    description: '§3.1: a *. entry admits a subdomain',
    config: STRICT,
    request: { method: 'GET', origin: 'https://a.b.example.org' },
    expected: allowedActual('https://a.b.example.org'),
  },
  {
    description: '§3.1: a *. entry never admits its apex',
    config: STRICT,
    request: { method: 'GET', origin: 'https://example.org' },
    expected: refusedActual('origin-not-allowed', 'https://example.org'),
  },
  {
    description: '§1.8: the null origin is refused unless listed',
    config: STRICT,
    request: { method: 'GET', origin: 'null' },
    expected: refusedActual('origin-null', 'null'),
  },
  {
    description: '§1.8: a listed null origin with dangerouslyAllowNullOrigin gets ACAO: null',
    config: { origins: ['null'], dangerouslyAllowNullOrigin: true },
    request: { method: 'GET', origin: 'null' },
    expected: {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': 'null' },
      vary: ['Origin'],
      reason: 'origin-allowed',
    },
  },
  {
    description: '§3.1: "NULL" is not the null origin',
    config: { origins: ['null'], dangerouslyAllowNullOrigin: true },
    request: { method: 'GET', origin: 'NULL' },
    expected: refusedActual('origin-malformed', 'NULL'),
  },
];

const methodRows: Row[] = [
  {
    description: 'R16: a safelisted ACRM (GET) needs and gets no Access-Control-Allow-Methods',
    config: STRICT,
    request: preflight(APP, 'GET'),
    expected: allowedPreflight({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Max-Age': '600',
    }),
  },
  {
    description: 'R16: a safelisted ACRM (POST) is allowed even when methods is empty',
    config: { origins: [APP] },
    request: preflight(APP, 'POST'),
    expected: allowedPreflight({ 'Access-Control-Allow-Origin': APP }),
  },
  {
    description: '§4 ACAM reply: only the requested method is echoed, not the whole list',
    config: STRICT,
    request: preflight(APP, 'DELETE'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Methods': 'DELETE' }),
  },
  {
    description: 'R7: a listed lower-case "patch" allows ACRM "patch" and echoes it as sent',
    config: STRICT,
    request: preflight(APP, 'patch'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Methods': 'patch' }),
  },
  {
    description: 'R7: "patch" is not "PATCH": methods compare case-sensitively',
    config: STRICT,
    request: preflight(APP, 'PATCH'),
    expected: refusedPreflight('method-not-allowed', 'PATCH'),
  },
  {
    description: 'R16: "put" does not match a listed PUT (WPT cors-preflight-star: ACAM put ≠ PUT)',
    config: STRICT,
    request: preflight(APP, 'put'),
    expected: refusedPreflight('method-not-allowed', 'put'),
  },
  {
    description: 'R16: an unlisted method is refused with 403 and no CORS headers',
    config: STRICT,
    request: preflight(APP, 'PROPFIND'),
    expected: refusedPreflight('method-not-allowed', 'PROPFIND'),
  },
  {
    description: '§4 ACRM: a list of methods is not a method token',
    config: STRICT,
    request: preflight(APP, 'PUT, DELETE'),
    expected: refusedPreflight('method-malformed', 'PUT, DELETE'),
  },
  {
    description: '§4 ACRM: two ACRM lines are malformed',
    config: STRICT,
    request: preflight(APP, ['PUT', 'PUT']),
    expected: refusedPreflight('method-malformed', 'PUT,PUT'),
  },
  {
    description: '§4 ACRM: an empty ACRM is malformed',
    config: STRICT,
    request: preflight(APP, ''),
    expected: refusedPreflight('method-malformed', ''),
  },
  {
    description: 'R16: methods ["*"] echoes any method token',
    config: { origins: [APP], methods: ['*'] },
    request: preflight(APP, 'PROPFIND'),
    expected: allowedPreflight({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Methods': 'PROPFIND',
    }),
  },
  {
    description: 'R6: methods ["*"] never admits a forbidden method',
    config: { origins: [APP], methods: ['*'] },
    request: preflight(APP, 'TRACE'),
    expected: refusedPreflight('method-not-allowed', 'TRACE'),
  },
];

const WILD = { origins: [APP], requestHeaders: ['*'] } satisfies CorsConfig;
const wildOk = (acah: string): Row['expected'] =>
  allowedPreflight({
    'Access-Control-Allow-Origin': APP,
    'Access-Control-Allow-Methods': 'PUT',
    'Access-Control-Allow-Headers': acah,
  });
const WILD_PUT = { ...WILD, methods: ['PUT'] } satisfies CorsConfig;
const manyNames = (n: number) =>
  Array.from({ length: n }, (_, i) => `x-${String(i).padStart(3, '0')}`).join(',');

const headerRows: Row[] = [
  {
    description: 'R5: the browser’s canonical ACRH is echoed as Access-Control-Allow-Headers',
    config: STRICT,
    request: preflight(APP, 'PUT', 'content-type,x-a,x-b'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'content-type,x-a,x-b' }),
  },
  {
    description:
      '§4 tolerance: OWS, upper case and any order are accepted; ACAH lists the names in lower case',
    config: STRICT,
    request: preflight(APP, 'PUT', ' X-B ,\tx-A'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'x-b,x-a' }),
  },
  {
    description: '§4 tolerance: names split over several ACRH lines are one list',
    config: STRICT,
    request: preflight(APP, 'PUT', ['x-a', 'x-b']),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'x-a,x-b' }),
  },
  {
    description: '§4 tolerance: empty elements are skipped (WPT request-headers ",y-lol,,,")',
    config: STRICT,
    request: preflight(APP, 'PUT', ',x-a,,x-b,'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'x-a,x-b' }),
  },
  {
    description: '§4 tolerance: an empty ACRH asks for nothing and gets no ACAH',
    config: STRICT,
    request: preflight(APP, 'PUT', ''),
    expected: allowedPreflight(STRICT_PUT),
  },
  {
    description: `§4 tolerance budget: exactly MAX_ACRH_EMPTY_ELEMENTS (${MAX_ACRH_EMPTY_ELEMENTS}) empty elements are accepted`,
    config: STRICT,
    request: preflight(APP, 'PUT', `${','.repeat(MAX_ACRH_EMPTY_ELEMENTS)}x-a`),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'x-a' }),
  },
  {
    description: '§4 tolerance budget: one empty element more is refused as malformed',
    config: STRICT,
    request: preflight(APP, 'PUT', `${','.repeat(MAX_ACRH_EMPTY_ELEMENTS + 1)}x-a`),
    expected: refusedPreflight('headers-malformed', `more than ${MAX_ACRH_EMPTY_ELEMENTS} empty elements`),
  },
  {
    description: '§4 tolerance budget: blank ACRH lines count as empty elements',
    config: STRICT,
    request: preflight(APP, 'PUT', [...Array.from({ length: MAX_ACRH_EMPTY_ELEMENTS + 1 }, () => ''), 'x-a']),
    expected: refusedPreflight('headers-malformed', `more than ${MAX_ACRH_EMPTY_ELEMENTS} empty elements`),
  },
  {
    description: `§4 bound: ACRH of exactly MAX_ACRH_LENGTH (${MAX_ACRH_LENGTH}) characters is scanned`,
    config: WILD_PUT,
    request: preflight(APP, 'PUT', 'x'.repeat(MAX_ACRH_LENGTH)),
    expected: wildOk('x'.repeat(MAX_ACRH_LENGTH)),
  },
  {
    description: '§4 bound: one character more is refused before scanning',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', 'x'.repeat(MAX_ACRH_LENGTH + 1)),
    expected: refusedPreflight('headers-too-large', `more than ${MAX_ACRH_LENGTH} characters`),
  },
  {
    description: '§4 bound: the length bound sums every ACRH line',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', ['x'.repeat(MAX_ACRH_LENGTH / 2), 'y'.repeat(MAX_ACRH_LENGTH / 2 + 1)]),
    expected: refusedPreflight('headers-too-large', `more than ${MAX_ACRH_LENGTH} characters`),
  },
  {
    description: '§6 resource exhaustion: 1 MB of commas is refused as too large',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', ','.repeat(1 << 20)),
    expected: refusedPreflight('headers-too-large', `more than ${MAX_ACRH_LENGTH} characters`),
  },
  {
    description: `§4 bound: MAX_ACRH_NAMES (${MAX_ACRH_NAMES}) names are accepted`,
    config: WILD_PUT,
    request: preflight(APP, 'PUT', manyNames(MAX_ACRH_NAMES)),
    expected: wildOk(manyNames(MAX_ACRH_NAMES)),
  },
  {
    description: '§4 bound: one name more is refused',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', manyNames(MAX_ACRH_NAMES + 1)),
    expected: refusedPreflight('headers-too-large', `more than ${MAX_ACRH_NAMES} names`),
  },
  {
    description: 'R15: a name with a space inside is malformed',
    config: STRICT,
    request: preflight(APP, 'PUT', 'x-a x-b'),
    expected: refusedPreflight('headers-malformed', 'unexpected character at 4: "x-b"'),
  },
  {
    description: 'R15: a separator that is not a comma is malformed',
    config: STRICT,
    request: preflight(APP, 'PUT', 'x-a;x-b'),
    expected: refusedPreflight('headers-malformed', 'unexpected character at 3: ";x-b"'),
  },
  {
    description: 'R17(b): a header that is not listed is refused, naming it',
    config: STRICT,
    request: preflight(APP, 'PUT', 'x-a,x-c'),
    expected: refusedPreflight('headers-not-allowed', 'x-c'),
  },
  {
    description: 'R17(b): every requested header that is not listed is named at once, in request order',
    config: STRICT,
    request: preflight(APP, 'PUT', 'x-c,x-a,x-d'),
    expected: refusedPreflight('headers-not-allowed', 'x-c', { headers: ['x-c', 'x-d'] }),
  },
  {
    description:
      'R16+R17: origins renamed from cors, a PUT with Content-Type and X-Id names the method and both headers at once',
    config: { origins: [APP] },
    request: preflight(APP, 'PUT', 'content-type,x-id'),
    expected: refusedPreflight('method-not-allowed', 'PUT', {
      method: 'PUT',
      headers: ['content-type', 'x-id'],
    }),
  },
  {
    description: 'R16+R15: a refused method with a malformed header list names the method only',
    config: STRICT,
    request: preflight(APP, 'PROPFIND', 'x-a;x-b'),
    expected: refusedPreflight('method-not-allowed', 'PROPFIND', { method: 'PROPFIND', headers: [] }),
  },
  {
    description: 'R17(a): Authorization listed explicitly is allowed',
    config: STRICT,
    request: preflight(APP, 'PUT', 'authorization,x-a'),
    expected: allowedPreflight({ ...STRICT_PUT, 'Access-Control-Allow-Headers': 'authorization,x-a' }),
  },
  {
    description: 'R17(a): requestHeaders ["*"] never covers Authorization',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', 'authorization'),
    expected: refusedPreflight('headers-not-allowed', 'authorization'),
  },
  {
    description: 'R17(a): requestHeaders ["*"] never covers Authorization, whatever its case',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', 'Authorization,x-a'),
    expected: refusedPreflight('headers-not-allowed', 'authorization'),
  },
  {
    description: 'R17: ["*", "authorization"] allows Authorization and lists it explicitly',
    config: { ...WILD_PUT, requestHeaders: ['*', 'authorization'] },
    request: preflight(APP, 'PUT', 'authorization,x-any'),
    expected: wildOk('authorization,x-any'),
  },
  {
    description: 'R18: requestHeaders ["*"] allows any other name, echoed (never a literal *)',
    config: WILD_PUT,
    request: preflight(APP, 'PUT', 'x-anything'),
    expected: wildOk('x-anything'),
  },
];

const anonPreflight = (headers: Record<string, string>): Row['expected'] => ({
  kind: 'preflight',
  allowed: true,
  status: 204,
  headers,
  vary: [],
  reason: 'any-origin',
});
const anyOriginRows: Row[] = [
  {
    description: 'R24: with * and no credentials, a request without Origin still gets ACAO * and no Vary',
    config: ANON,
    request: { method: 'GET' },
    expected: {
      kind: 'not-cors',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'X-Total' },
      vary: [],
      reason: 'not-cors',
    },
  },
  {
    description: 'R24: with * and no credentials, an actual request gets ACAO * and no Vary',
    config: ANON,
    request: { method: 'GET', origin: 'https://anyone.example' },
    expected: {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'X-Total' },
      vary: [],
      reason: 'any-origin',
    },
  },
  {
    description:
      'R24: with * even a malformed Origin on an actual request gets ACAO * (the answer does not vary)',
    config: ANON,
    request: { method: 'GET', origin: 'https://ANYONE.example/' },
    expected: {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'X-Total' },
      vary: [],
      reason: 'any-origin',
    },
  },
  {
    description: 'R18/R24: an allowed preflight under * answers ACAO *, no ACAC, no Vary',
    config: ANON,
    request: preflight('https://anyone.example', 'PUT', 'x-a'),
    expected: anonPreflight({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Allow-Headers': 'x-a',
    }),
  },
  {
    description: 'R24: under *, a refused preflight (malformed Origin) carries no Vary either',
    config: ANON,
    request: preflight('https://anyone.example/', 'PUT'),
    expected: { ...refusedPreflight('origin-malformed', 'https://anyone.example/'), vary: [] },
  },
  {
    description: 'R24: under *, a preflight from the null origin is allowed with ACAO *',
    config: ANON,
    request: preflight('null', 'PUT'),
    expected: anonPreflight({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'PUT' }),
  },
  {
    description: 'R24: a refused actual request under an allowlist still varies by Origin',
    config: STRICT,
    request: { method: 'GET', origin: 'https://evil.example' },
    expected: refusedActual('origin-not-allowed', 'https://evil.example'),
  },
];

const optionRows: Row[] = [
  {
    description: 'R21: maxAge 0 is sent as Access-Control-Max-Age: 0 (disables caching portably)',
    config: { origins: [APP], methods: ['PUT'], maxAge: 0 },
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Max-Age': '0',
    }),
  },
  {
    description: 'R20: without maxAge no Access-Control-Max-Age is sent (browsers use 5 s)',
    config: { origins: [APP], methods: ['PUT'] },
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight({ 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT' }),
  },
  {
    description: 'R14: preflightStatus 200 answers an allowed preflight with 200',
    config: { origins: [APP], methods: ['PUT'], preflightStatus: 200 },
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight(
      { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT' },
      200,
    ),
  },
  {
    description: 'R14: preflightStatus 200 does not turn a refusal into an ok status',
    config: { origins: [APP], methods: ['PUT'], preflightStatus: 200 },
    request: preflight(APP, 'DELETE'),
    expected: refusedPreflight('method-not-allowed', 'DELETE'),
  },
  {
    description: '§2 PNA: with privateNetwork and ACRPN: true, the preflight gets ACAPN: true',
    config: { origins: [APP], methods: ['PUT'], privateNetwork: true },
    request: { ...preflight(APP, 'PUT'), accessControlRequestPrivateNetwork: 'true' },
    expected: allowedPreflight({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Allow-Private-Network': 'true',
    }),
  },
  {
    description: '§2 PNA: with privateNetwork but no ACRPN, no ACAPN',
    config: { origins: [APP], methods: ['PUT'], privateNetwork: true },
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight({ 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT' }),
  },
  {
    description: '§2 PNA: ACRPN other than exactly "true" gets no ACAPN',
    config: { origins: [APP], methods: ['PUT'], privateNetwork: true },
    request: { ...preflight(APP, 'PUT'), accessControlRequestPrivateNetwork: 'TRUE' },
    expected: allowedPreflight({ 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT' }),
  },
  {
    description: '§2 PNA: without the opt-in, ACRPN: true gets no ACAPN',
    config: { origins: [APP], methods: ['PUT'] },
    request: { ...preflight(APP, 'PUT'), accessControlRequestPrivateNetwork: 'true' },
    expected: allowedPreflight({ 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT' }),
  },
  {
    description: '§2 PNA: ACAPN is never put on an actual response',
    config: { origins: [APP], privateNetwork: true },
    request: { method: 'GET', origin: APP, accessControlRequestPrivateNetwork: 'true' },
    expected: {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': APP },
      vary: ['Origin'],
      reason: 'origin-allowed',
    },
  },
  {
    description: 'R13: without credentials no Access-Control-Allow-Credentials is sent',
    config: { origins: [APP] },
    request: { method: 'GET', origin: APP },
    expected: {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': APP },
      vary: ['Origin'],
      reason: 'origin-allowed',
    },
  },
];

const debugRows: Row[] = [
  {
    description: 'debug: a method failure carries ACAO and ACAC but no ACAM, with the ok status (R16 named)',
    config: DEBUG,
    request: preflight(APP, 'PATCH'),
    expected: {
      kind: 'preflight',
      allowed: false,
      status: 204,
      headers: { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Credentials': 'true' },
      vary: ['Origin'],
      reason: 'method-not-allowed',
      detail: 'PATCH',
      missing: { method: 'PATCH', headers: [] },
    },
  },
  {
    description: 'debug: a header failure carries ACAM but no ACAH, with the ok status (R17 named)',
    config: DEBUG,
    request: preflight(APP, 'PUT', 'x-c'),
    expected: {
      kind: 'preflight',
      allowed: false,
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PUT',
      },
      vary: ['Origin'],
      reason: 'headers-not-allowed',
      detail: 'x-c',
      missing: { headers: ['x-c'] },
    },
  },
  {
    description: 'debug: a header failure after a safelisted method carries no ACAM (none is needed, R16)',
    config: DEBUG,
    request: preflight(APP, 'POST', 'x-c'),
    expected: {
      kind: 'preflight',
      allowed: false,
      status: 204,
      headers: { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Credentials': 'true' },
      vary: ['Origin'],
      reason: 'headers-not-allowed',
      detail: 'x-c',
      missing: { headers: ['x-c'] },
    },
  },
  {
    description: 'debug: an origin failure carries no ACAO, with the ok status (R10 named)',
    config: DEBUG,
    request: preflight('https://evil.example', 'PUT'),
    expected: {
      kind: 'preflight',
      allowed: false,
      status: 204,
      headers: {},
      vary: ['Origin'],
      reason: 'origin-not-allowed',
      detail: 'https://evil.example',
    },
  },
  {
    description: 'debug: an allowed preflight is the same as without debug',
    config: DEBUG,
    request: preflight(APP, 'PUT'),
    expected: allowedPreflight(STRICT_PUT),
  },
  {
    description: 'debug: an actual refusal is unchanged (no partial headers outside preflights)',
    config: DEBUG,
    request: { method: 'GET', origin: 'https://evil.example' },
    expected: refusedActual('origin-not-allowed', 'https://evil.example'),
  },
];

const tables: [string, Row[]][] = [
  ['classification (R1, R2)', classification],
  ['same-origin requests', sameOriginRows],
  ['strict origin parsing (§3.1, §4)', originRows],
  ['methods (R7, R16)', methodRows],
  ['request headers (R5, R15, R17, §4)', headerRows],
  ['* without credentials (R18, R24)', anyOriginRows],
  ['max-age, preflight status, private network (R14, R20, R21, §2)', optionRows],
  ['debug mode', debugRows],
];

describe.each(tables)('evaluate: %s', (_name, rows) => {
  it.each(rows.map((row) => [row.description, row] as const))('%s', (_description, row) => {
    const policy = createPolicy(row.config);
    expect(policy.evaluate(row.request)).toStrictEqual(row.expected);
  });
});

describe('evaluate: every row', () => {
  it('has a description citing a rule id', () => {
    for (const [, rows] of tables) {
      for (const row of rows) expect(row.description).toMatch(/^(R\d+|§\d|same-origin|debug)/);
    }
  });
});

describe('evaluate: remembered ACRH verdicts', () => {
  it('decides a repeated ACRH value exactly as the first time, allowed or refused, across origins', () => {
    const policy = createPolicy(STRICT);
    const other = 'https://a.example.org';
    for (let round = 0; round < 3; round++) {
      expect(policy.evaluate(preflight(APP, 'PUT', 'x-a,x-b')).headers).toStrictEqual({
        ...STRICT_PUT,
        'Access-Control-Allow-Headers': 'x-a,x-b',
      });
      expect(policy.evaluate(preflight(other, 'DELETE', 'x-a,x-b')).headers).toStrictEqual({
        ...STRICT_PUT,
        'Access-Control-Allow-Origin': other,
        'Access-Control-Allow-Methods': 'DELETE',
        'Access-Control-Allow-Headers': 'x-a,x-b',
      });
      expect(policy.evaluate(preflight(APP, 'PUT', 'x-a,x-c'))).toStrictEqual(
        refusedPreflight('headers-not-allowed', 'x-c'),
      );
    }
  });

  it('keeps deciding correctly after more distinct values than it remembers', () => {
    const policy = createPolicy(WILD_PUT);
    for (let i = 0; i < 2000; i++) {
      const name = `x-${i}`;
      expect(policy.evaluate(preflight(APP, 'PUT', name)).headers['Access-Control-Allow-Headers']).toBe(name);
    }
    expect(policy.evaluate(preflight(APP, 'PUT', 'authorization')).reason).toBe('headers-not-allowed');
    expect(policy.evaluate(preflight(APP, 'PUT', 'x-0')).headers['Access-Control-Allow-Headers']).toBe('x-0');
  });
});
