/**
 * The catalogue of CORS failure classes: each class once, with its stable id (also its SARIF rule
 * id), what it means, what each engine does about it, its severity, the fix on a generic server,
 * the fix when the server is corsgate, and the docs/rules.md ids. `check`'s mistakes, `scan`'s
 * findings and their SARIF rules, `explain`'s diagnoses and docs/failures.md are views of it
 * (docs/failures.md is generated from this file and a test keeps them equal).
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * `blocked`: the browser refuses the request (the console shows a CORS error); `over-trust`: the
 * server lets in an origin it should not; `mistake`: a server habit that breaks some users only;
 * `not-cors`: a failure that looks like CORS (the console says "blocked", or "CORS request did
 * not succeed") but that no response header can fix.
 */
export type ClassKind = 'blocked' | 'over-trust' | 'mistake' | 'not-cors';

/** The change that fixes the class on a corsgate gateway, when one exists. */
export type CorsgateChange =
  /** Add the page's origin, one line, to the allowlist (or `--origin` of `serve`). */
  | { readonly kind: 'allow-origin' }
  /** Set a `serve` flag (the same key in corsgate.yaml's policy); `takes` is what its value names. */
  | {
      readonly kind: 'flag';
      readonly flag: '--credentials' | '--methods' | '--request-headers';
      readonly takes?: 'method' | 'header';
    }
  /** Nothing to change on corsgate: it never answers that way; the text says what to do instead. */
  | { readonly kind: 'none' };

export interface FailureClass {
  readonly kind: ClassKind;
  /** One line, as a heading. */
  readonly title: string;
  /** What it means, in a sentence or two. */
  readonly meaning: string;
  /** What each engine does about it (and, for `blocked`, how its console words it). */
  readonly engines: { readonly chromium: string; readonly firefox: string; readonly webkit: string };
  /**
   * Severity when the origin in question also gets credentials, and when not. High and critical
   * only ever with credentials: without them a page reads only what anyone could fetch.
   */
  readonly severity: { readonly credentials: Severity; readonly anonymous: Severity };
  /** What goes wrong for users or what an attacker gains. */
  readonly impact: string;
  /** The fix on any server. */
  readonly fix: string;
  /** The fix when the server is corsgate: the line or flag, and in words. */
  readonly corsgate: { readonly change: CorsgateChange; readonly text: string };
  /** The docs/rules.md rule ids behind it. */
  readonly rules: readonly string[];
}

const ALL_ENGINES_READ = 'sends this Origin and hands the response to the page';
const CREDENTIALED_READ =
  "with credentials, that page reads the API's responses as the visitor, with their cookies or HTTP authentication (account data, CSRF tokens)";
const ANONYMOUS_READ =
  'without credentials, that page reads what anyone could fetch, plus whatever the network position of the visitor reaches (an intranet, an IP allowlist)';
const EXACT_LIST =
  'corsgate compares the whole Origin with the allowlist, byte for byte: list the origins that need access, one a line';
const BLOCKED_IMPACT =
  'the script gets a network error (TypeError in fetch) instead of the response; the request may still have reached the server';
const LOW = { credentials: 'low', anonymous: 'low' } as const;
const same = (text: string) => ({ chromium: text, firefox: text, webkit: text });

/** Classes a browser's CORS check refuses (docs/rules.md §1.2, §1.3, §1.7). */
const BLOCKED = {
  'acao-missing': {
    kind: 'blocked',
    title: 'the response has no Access-Control-Allow-Origin header',
    meaning:
      "the server did not allow the page's origin: it answered without Access-Control-Allow-Origin (an origin the server does not trust, a server with no CORS handling, or an error page the CORS handler never saw)",
    engines: {
      chromium:
        'blocks; console: "No \'Access-Control-Allow-Origin\' header is present on the requested resource."',
      firefox:
        'blocks; console: "(Reason: CORS header \'Access-Control-Allow-Origin\' missing)" with the status code',
      webkit:
        'blocks; console: "Origin … is not allowed by Access-Control-Allow-Origin." with the status code',
    },
    severity: LOW,
    impact: BLOCKED_IMPACT,
    fix: 'answer an allowed origin with Access-Control-Allow-Origin naming it exactly (and Vary: Origin), on every status',
    corsgate: { change: { kind: 'allow-origin' }, text: 'add the page origin, one line, to the allowlist' },
    rules: ['R10', 'R12'],
  },
  'acao-mismatch': {
    kind: 'blocked',
    title: 'Access-Control-Allow-Origin names another origin',
    meaning:
      'the header is present but is not byte for byte the page origin: another origin (a fixed value, a cached answer for another origin), different case, or a trailing slash',
    engines: {
      chromium:
        "blocks; console: \"The 'Access-Control-Allow-Origin' header has a value '…' that is not equal to the supplied origin.\"",
      firefox: "blocks; console: \"(Reason: CORS header 'Access-Control-Allow-Origin' does not match '…')\"",
      webkit: 'blocks; console: "Origin … is not allowed by Access-Control-Allow-Origin."',
    },
    severity: LOW,
    impact: BLOCKED_IMPACT,
    fix: 'echo the request Origin exactly when it is allowed, with Vary: Origin so no cache replays it to another origin',
    corsgate: { change: { kind: 'allow-origin' }, text: 'add the page origin, one line, to the allowlist' },
    rules: ['R10', 'R13', 'R24'],
  },
  'acao-duplicate': {
    kind: 'blocked',
    title: 'two or more Access-Control-Allow-Origin lines',
    meaning:
      'the response carries several Access-Control-Allow-Origin values; the browser joins them into one ("a, b"), which matches no origin',
    engines: {
      chromium:
        "blocks; console: \"The 'Access-Control-Allow-Origin' header contains multiple values '…', but only one is allowed.\"",
      firefox:
        'blocks; console: "(Reason: Multiple CORS header \'Access-Control-Allow-Origin\' not allowed)"',
      webkit: 'blocks; console: "Access-Control-Allow-Origin cannot contain more than one origin."',
    },
    severity: LOW,
    impact: BLOCKED_IMPACT,
    fix: 'set the header in one place only (a proxy and the app both adding it is the usual cause); a gateway must replace, not append',
    corsgate: {
      change: { kind: 'none' },
      text: "corsgate replaces the upstream's CORS headers and sends one line: remove the CORS layer behind or in front of it that appends another",
    },
    rules: ['R10'],
  },
  'acao-trailing-slash': {
    kind: 'mistake',
    title: 'Access-Control-Allow-Origin with a trailing slash',
    meaning: 'an origin never ends with a slash, so "https://app.example/" matches no page',
    engines: same('blocks, as for any Access-Control-Allow-Origin that is not the page origin'),
    severity: LOW,
    impact: BLOCKED_IMPACT,
    fix: 'remove the trailing slash from the configured origin',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate refuses an allowlist line with a path or slash and names it (CG_ORIGIN_*): write the origin as `corsgate origin URL` prints it',
    },
    rules: ['R10', 'R13'],
  },
  'credentials-not-allowed': {
    kind: 'blocked',
    title: 'a credentialed request without Access-Control-Allow-Credentials: true',
    meaning:
      'the script sends cookies or HTTP authentication (credentials: \'include\', withCredentials) and the response lacks Access-Control-Allow-Credentials: true (absent, or another value such as "True")',
    engines: {
      chromium:
        "blocks; console: \"The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.\"",
      firefox:
        "blocks; console: \"(Reason: expected 'true' in CORS header 'Access-Control-Allow-Credentials')\"",
      webkit:
        'blocks; console: "Credentials flag is true, but Access-Control-Allow-Credentials is not \\"true\\"."',
    },
    severity: LOW,
    impact: BLOCKED_IMPACT,
    fix: 'answer Access-Control-Allow-Credentials: true (exactly, lower case) with the exact origin, on the preflight and the actual response; or drop credentials from the request',
    corsgate: {
      change: { kind: 'flag', flag: '--credentials' },
      text: 'start the gateway with --credentials (credentials: true in corsgate.yaml)',
    },
    rules: ['R10', 'R13', 'R19'],
  },
  'wildcard-with-credentials': {
    kind: 'blocked',
    title: 'Access-Control-Allow-Origin: * on a credentialed request',
    meaning:
      'the response allows every origin with "*" (often together with Access-Control-Allow-Credentials: true), which browsers never accept for a request with credentials',
    engines: {
      chromium:
        "blocks credentialed requests; console: \"The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.\"",
      firefox:
        "blocks credentialed requests; console: \"(Reason: Credential is not supported if the CORS header 'Access-Control-Allow-Origin' is '*')\"",
      webkit:
        'blocks credentialed requests; console: "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true."',
    },
    severity: LOW,
    impact:
      'credentialed requests fail; it does not leak by itself, but shows the intent to let every site read with credentials, usually one change away from reflecting the origin',
    fix: 'for credentialed access echo the exact allowed origin with Vary: Origin; otherwise drop Access-Control-Allow-Credentials',
    corsgate: {
      change: { kind: 'allow-origin' },
      text: 'list the page origin in the allowlist (corsgate refuses "*" together with --credentials)',
    },
    rules: ['R13', 'R18'],
  },
  'method-not-allowed': {
    kind: 'blocked',
    title: 'the preflight does not allow the method',
    meaning:
      'the script uses a method other than GET, HEAD or POST and the preflight response does not list it in Access-Control-Allow-Methods (compared case-sensitively; "*" only without credentials)',
    engines: {
      chromium:
        'blocks; console: "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."',
      firefox:
        'blocks; console: "(Reason: Did not find method in CORS header \'Access-Control-Allow-Methods\')", without naming the method',
      webkit: 'blocks; console: "Method PUT is not allowed by Access-Control-Allow-Methods."',
    },
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; the actual request is never sent`,
    fix: 'list the method in Access-Control-Allow-Methods on the preflight response',
    corsgate: {
      change: { kind: 'flag', flag: '--methods', takes: 'method' },
      text: 'start the gateway with --methods METHOD (methods: in corsgate.yaml)',
    },
    rules: ['R15', 'R16', 'R18'],
  },
  'header-not-allowed': {
    kind: 'blocked',
    title: 'the preflight does not allow a request header',
    meaning:
      'the script sets a header that is not CORS-safelisted and the preflight response does not list it in Access-Control-Allow-Headers',
    engines: {
      chromium:
        'blocks; console: "Request header field x-token is not allowed by Access-Control-Allow-Headers in preflight response."',
      firefox:
        "blocks; console: \"(Reason: header 'x-token' is not allowed according to header 'Access-Control-Allow-Headers' from CORS preflight response)\"",
      webkit:
        'blocks; console: "Request header field X-Token is not allowed by Access-Control-Allow-Headers."',
    },
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; the actual request is never sent`,
    fix: 'list the header name in Access-Control-Allow-Headers on the preflight response',
    corsgate: {
      change: { kind: 'flag', flag: '--request-headers', takes: 'header' },
      text: 'start the gateway with --request-headers NAME (requestHeaders: in corsgate.yaml)',
    },
    rules: ['R15', 'R17', 'R18'],
  },
  'preflight-status': {
    kind: 'blocked',
    title: 'the preflight was answered with a status outside 200-299',
    meaning:
      'the OPTIONS preflight got an error status (404 from a router with no OPTIONS route, 405, 500, 401/403 from an authentication layer) even if it carried CORS headers',
    engines: {
      chromium:
        'blocks; console: "Response to preflight request doesn\'t pass access control check: It does not have HTTP ok status."',
      firefox: 'blocks; console: "(Reason: CORS preflight response did not succeed)" with the status code',
      webkit: 'blocks; console: "Preflight response is not successful. Status code: 405"',
    },
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; the actual request is never sent`,
    fix: 'answer OPTIONS preflights with 204 (or 200) before routing, authentication and method checks',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers preflights itself (204) and never forwards them: put it in front of the API; a refused origin is the acao-missing fix',
    },
    rules: ['R14'],
  },
  'preflight-auth': {
    kind: 'mistake',
    title: 'a preflight answered 401/403 by an authentication layer',
    meaning:
      'an authentication layer in front of the API rejects the preflight, but browsers never send cookies or Authorization on a preflight, so it can never pass',
    engines: same('blocks, as for any preflight without an ok status (preflight-status)'),
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; the actual request is never sent`,
    fix: 'exempt CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) from authentication, or put the CORS handler in front of it',
    corsgate: {
      change: { kind: 'none' },
      text: 'put corsgate in front of the authentication layer: it answers preflights itself',
    },
    rules: ['R9', 'R14'],
  },
  'preflight-redirect': {
    kind: 'blocked',
    title: 'a preflight answered with a redirect',
    meaning:
      'the preflight got a 3xx; browsers never follow a redirect on a preflight (a trailing slash, http→https or a host redirect is the usual cause)',
    engines: {
      chromium:
        'blocks; console: "Response to preflight request doesn\'t pass access control check: Redirect is not allowed for a preflight request."',
      firefox: 'blocks; console: "(Reason: CORS request external redirect not allowed)", without the status',
      webkit: 'blocks; console: "Preflight response is not successful. Status code: 301"',
    },
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; the actual request is never sent`,
    fix: 'use the final URL in the page, or answer OPTIONS before the redirect rule',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers preflights itself and never redirects them: call the final URL (the redirect comes from a layer in front of it)',
    },
    rules: ['R14', 'R27'],
  },
} as const satisfies Record<string, FailureClass>;

/** Classes where the server trusts more than it should (what `corsgate scan` probes for). */
const OVER_TRUST = {
  'origin-reflected': {
    kind: 'over-trust',
    title: 'any origin is allowed: Access-Control-Allow-Origin reflects the request Origin',
    meaning: 'the server copies whatever Origin it receives into Access-Control-Allow-Origin',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'critical', anonymous: 'low' },
    impact: `any web page on any site can read the responses: ${CREDENTIALED_READ}; ${ANONYMOUS_READ}`,
    fix: 'compare the Origin with an exact list of allowed origins and answer only those (the cors package: origin: [..] instead of origin: true)',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§6'],
  },
  'null-trusted': {
    kind: 'over-trust',
    title: 'the null origin is allowed',
    meaning: 'the server allows Origin: null, which every sandboxed iframe, data: page and file: page sends',
    engines: same(
      'sends Origin: null from sandboxed iframes, data: URLs and cross-origin redirects, and hands the response over',
    ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `any site can send Origin: null from a sandboxed iframe or a data: page, so any site reads the responses: ${CREDENTIALED_READ}`,
    fix: 'never allow "null": it is not one origin but every opaque one (remove null from the list)',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate refuses null unless dangerouslyAllowNullOrigin is set: unset it',
    },
    rules: ['R26', '§1.8'],
  },
  'prefix-match': {
    kind: 'over-trust',
    title: 'an origin that starts with a trusted origin is allowed',
    meaning: 'the origin check is a startsWith (or a pattern anchored only at the start)',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as trusted.example.attacker.net and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality (or anchor the pattern at both ends: ^https://app\\.example\\.com$), never startsWith',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§6'],
  },
  'suffix-match': {
    kind: 'over-trust',
    title: 'an origin that ends with the trusted domain name is allowed',
    meaning: 'the origin check is an endsWith without the leading dot',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as attackerexample.com and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality; to allow subdomains match ".example.com" with the dot, on the parsed host, and only over https',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§6'],
  },
  'substring-match': {
    kind: 'over-trust',
    title: 'an origin that merely contains a trusted host name is allowed',
    meaning: 'the origin check is an includes() or an unanchored regular expression',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as attackerapp.example.com.attacker.net and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality, never with includes() or an unanchored regular expression',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§6'],
  },
  'unescaped-dot': {
    kind: 'over-trust',
    title: 'a pattern with an unescaped dot allows a different domain',
    meaning: 'the origin pattern is a regular expression whose "." matches any character',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `"." in a regular expression matches any character, so an attacker registers appxexample.com for app.example.com and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'escape every dot in origin patterns (app\\.example\\.com), or better, use an exact list',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§6'],
  },
  'special-characters': {
    kind: 'over-trust',
    title: 'a look-alike origin with a character browsers allow in host names is allowed',
    meaning:
      "the origin is parsed with a lenient parser (Node's legacy url.parse, a hand-written regex) that stops at characters such as _ ` } !, so it sees the trusted host",
    engines: same('accepts such characters in host names, sends that Origin and hands the response over'),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `browsers accept characters such as _ \` } ! in host names; a check that parses the origin with a lenient parser stops at them and sees the trusted host, so https://app.example.com\`.attacker.net reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the Origin header as a whole string with the allowed origins; never parse it with url.parse or a regex that stops at unusual characters',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§3.1'],
  },
  'subdomain-trusted': {
    kind: 'over-trust',
    title: 'any subdomain is allowed where only named origins should be',
    meaning: 'the server allows every subdomain of a trusted domain, or a sibling of a trusted host',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'medium', anonymous: 'low' },
    impact: `one vulnerable or taken-over subdomain (an old marketing site, a dangling CNAME, an XSS) reads the API: ${CREDENTIALED_READ}`,
    fix: 'list the origins that need access; if a wildcard is intended, declare it with --origin https://*.example.com',
    corsgate: {
      change: { kind: 'none' },
      text: 'list each origin; a wildcard line (https://*.example.com) only where every subdomain is trusted',
    },
    rules: ['R10', '§6'],
  },
  'insecure-origin-trusted': {
    kind: 'over-trust',
    title: 'a plain http:// origin is allowed by an https API',
    meaning: 'the server allows the http:// twin of a trusted https:// origin',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'medium', anonymous: 'low' },
    impact: `a network attacker (public Wi-Fi) injects a script into the http:// page and reads the https API through it: ${CREDENTIALED_READ}`,
    fix: 'allow only https:// origins (http:// only for loopback development)',
    corsgate: { change: { kind: 'none' }, text: 'remove the http:// line from the allowlist' },
    rules: ['R10', '§6'],
  },
  'preflight-any-method': {
    kind: 'over-trust',
    title: 'the preflight allows any method it is asked for',
    meaning: 'Access-Control-Allow-Methods echoes Access-Control-Request-Method',
    engines: same('sends the method the preflight allowed'),
    severity: LOW,
    impact:
      'a trusted page (or a script injected into it) can send any method, including ones the API never meant to expose cross-origin',
    fix: 'answer with the fixed list of methods the API serves cross-origin',
    corsgate: { change: { kind: 'none' }, text: 'corsgate allows only the methods given with --methods' },
    rules: ['R16'],
  },
  'preflight-any-header': {
    kind: 'over-trust',
    title: 'the preflight allows any request header it is asked for',
    meaning: 'Access-Control-Allow-Headers echoes Access-Control-Request-Headers',
    engines: same('sends the headers the preflight allowed'),
    severity: LOW,
    impact:
      'a trusted page can send any header, defeating custom-header CSRF defences and header-based routing assumptions',
    fix: 'answer with the fixed list of request headers the API accepts cross-origin',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate allows only the headers given with --request-headers',
    },
    rules: ['R17'],
  },
  'private-network-credentials': {
    kind: 'over-trust',
    title: 'an internal host allows a public origin with credentials',
    meaning: 'an API on a private or loopback address lets a public web origin read it with credentials',
    engines: {
      chromium:
        'asks the user (Local Network Access) before a public page reaches a private address, then hands the response over',
      firefox: 'sends the request without asking and hands the response over',
      webkit: 'sends the request without asking and hands the response over',
    },
    severity: { credentials: 'medium', anonymous: 'medium' },
    impact:
      "a page on the public web, opened by someone inside the network, reads this internal API with the visitor's credentials",
    fix: 'internal APIs should trust only internal origins; if a public origin really needs access, send no credentials and answer Private Network Access preflights deliberately',
    corsgate: {
      change: { kind: 'none' },
      text: "remove the public origin from the internal gateway's allowlist",
    },
    rules: ['§2'],
  },
  'public-suffix-wildcard': {
    kind: 'over-trust',
    title: 'every site under a public suffix is allowed',
    meaning:
      'the origin check accepts any host under a public suffix of the Public Suffix List (.com, .co.uk): a wildcard or pattern that stops one label too high',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `anyone registers a domain under the suffix and reads the responses: ${CREDENTIALED_READ}; ${ANONYMOUS_READ}`,
    fix: 'a wildcard must stop at a domain you own (https://*.example.com), never at a public suffix; better, list the origins',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate wildcard lines name a domain (https://*.example.com): write the domain you own, or list the origins',
    },
    rules: ['R10', '§6'],
  },
  'shared-hosting-trusted': {
    kind: 'over-trust',
    title: 'origins on shared hosting are allowed',
    meaning:
      'the origin check accepts every site under a shared host where anyone can publish (the Public Suffix List private section: github.io, s3.amazonaws.com, blob.core.windows.net, vercel.app)',
    engines: same(ALL_ENGINES_READ),
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `anyone publishes a page under the shared host and reads the responses: ${CREDENTIALED_READ}; ${ANONYMOUS_READ}`,
    fix: 'allow the one origin you own on the shared host (https://myorg.github.io), never every subdomain of the host',
    corsgate: {
      change: { kind: 'none' },
      text: 'replace the wildcard line (https://*.github.io) with the one origin you own there',
    },
    rules: ['R10', '§6'],
  },
  'origin-not-normalised': {
    kind: 'over-trust',
    title: 'other spellings of a trusted origin are allowed',
    meaning:
      'the check parses and normalises the Origin (upper case, a trailing dot, the default port) instead of comparing it whole: https://app.example.com. is another origin to the browser, and the others are never sent by one',
    engines: same(
      'sends the one serialized form of an origin (lower case, no default port); a page at a trailing-dot host sends that dot',
    ),
    severity: LOW,
    impact:
      'a page on the trailing-dot twin of a trusted host (another origin, with its own cookies and storage) reads the responses; a check that parses is one parser difference away from a look-alike',
    fix: 'compare the Origin header byte for byte with the allowed origins as browsers serialize them',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§3.1'],
  },
  'host-characters': {
    kind: 'over-trust',
    title: 'a look-alike origin with $, + or & in the host name is allowed',
    meaning:
      'the URL Standard lets $, + and & into a host name; a regular expression that takes the host as [\\w.-]+ (or splits at the first such character) stops there and sees the trusted host in https://app.example.com$.attacker.example',
    engines: {
      chromium: 'parses such a host and sends it as the Origin when the name resolves',
      firefox: 'parses such a host and sends it as the Origin when the name resolves',
      webkit:
        'parses such a host and sends it as the Origin when the name resolves (Safari is the usual target)',
    },
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker serves a page from such a name under a domain they own and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the Origin header as a whole string; a regular expression must be anchored at both ends (^…$) and match the whole host',
    corsgate: { change: { kind: 'none' }, text: EXACT_LIST },
    rules: ['R10', '§3.1', '§6'],
  },
  'private-network-any-origin': {
    kind: 'over-trust',
    title: 'the legacy Access-Control-Allow-Private-Network is granted to any origin',
    meaning:
      'a private or local server answers a Private Network Access preflight (Access-Control-Request-Private-Network: true) from an origin it has never heard of with Access-Control-Allow-Private-Network: true',
    engines: {
      chromium:
        'sent the Private Network Access preflight before Local Network Access (a permission prompt) replaced it; versions and enterprise policies that still send it let the page in',
      firefox: 'sends no Private Network Access preflight: the request goes without it',
      webkit: 'sends no Private Network Access preflight: the request goes without it',
    },
    severity: { credentials: 'high', anonymous: 'medium' },
    impact:
      'a public page opened on a machine inside the network reaches this private or local server (a router, a printer, a dev server) and reads it',
    fix: 'send Access-Control-Allow-Private-Network: true only to the origins that should reach the private network, never with Access-Control-Allow-Origin: *',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate never grants Private Network Access by itself: list only the origins that need the internal API',
    },
    rules: ['§2'],
  },
  'websocket-any-origin': {
    kind: 'over-trust',
    title: 'the WebSocket endpoint accepts a handshake from any Origin',
    meaning:
      'the server answers 101 Switching Protocols to a handshake whose Origin it has never heard of; CORS does not apply to WebSockets, so the server must check Origin itself (RFC 6455 §10.2)',
    engines: same(
      'opens the socket from any page, with the cookies of the target site, and never checks a response header',
    ),
    severity: { credentials: 'high', anonymous: 'medium' },
    impact:
      "any page opens the socket with the visitor's cookies and reads and sends messages as them (cross-site WebSocket hijacking)",
    fix: "check the handshake's Origin against the allowed origins and refuse the others with 403 (ws: verifyClient; socket.io: allowRequest)",
    corsgate: {
      change: { kind: 'allow-origin' },
      text: 'put the socket behind corsgate serve: it refuses a handshake whose Origin is not in the allowlist',
    },
    rules: ['§3.2'],
  },
} as const satisfies Record<string, FailureClass>;

/** Server habits that break users only sometimes. */
const MISTAKES = {
  'vary-missing': {
    kind: 'mistake',
    title: 'Access-Control-Allow-Origin depends on Origin but Vary lacks Origin',
    meaning:
      "the CORS headers differ by Origin (or with no Origin) while Vary does not list Origin, so a shared cache can replay one origin's answer to another",
    engines: same(
      'keeps a cached response without checking Origin; the page breaks when the cached answer names another origin',
    ),
    severity: LOW,
    impact:
      "a shared cache (CDN, proxy) serves one origin's response to another: other origins' pages break, and a response cached without CORS headers blocks every origin until it expires",
    fix: 'add Vary: Origin to every response of the resource whose CORS headers depend on Origin, including responses without CORS headers',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate appends Vary: Origin on every response it decides',
    },
    rules: ['R24'],
  },
  'errors-without-cors': {
    kind: 'mistake',
    title: 'error responses lack the CORS headers the resource has',
    meaning:
      'the success responses carry CORS headers, the error responses do not: a 404 from the router, a 401 from an authentication layer, a 500 from the error handler',
    engines: same('reports a CORS error instead of the status, and hides the body from the script'),
    severity: LOW,
    impact:
      'a trusted page cannot read the error status or body (the browser reports a CORS error instead of the 401, 404 or 500), so it cannot send the user to log in again, retry or report the failure',
    fix: 'add the CORS headers on every status (nginx: add_header … always; frameworks: register the CORS middleware before authentication, routing and error handlers)',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate adds the CORS headers on every status the upstream returns',
    },
    rules: ['R11', 'R12'],
  },
  'preflight-forwarded': {
    kind: 'mistake',
    title: 'the preflight goes past the CORS handler',
    meaning:
      'the GET carries CORS headers, but the OPTIONS preflight is answered without any (a proxy forwards it to an upstream that knows no CORS, or the framework answers OPTIONS with its own Allow list)',
    engines: same(
      'blocks, as for a preflight without Access-Control-Allow-Origin (acao-missing); the actual request is never sent',
    ),
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; every request that needs a preflight (PUT, DELETE, JSON bodies, Authorization) fails`,
    fix: 'answer OPTIONS requests that carry Origin and Access-Control-Request-Method in the CORS handler, before routing and proxying',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers preflights itself and never forwards them: put it in front of the API',
    },
    rules: ['R9', 'R14'],
  },
  'preflight-actual-mismatch': {
    kind: 'mistake',
    title: 'the preflight allows what the actual response then refuses',
    meaning:
      'the preflight passes the CORS check for an origin (or allows credentials) and the actual response for the same origin does not: the two answers come from different places (an OPTIONS block in nginx, a route without the middleware)',
    engines: same(
      'sends the actual request after the preflight, then blocks its response (acao-missing or credentials-not-allowed)',
    ),
    severity: LOW,
    impact:
      'the server acts on the request (a PUT changes data) and the page is still refused the answer, so it retries or reports a failure that did not happen',
    fix: 'answer preflights and actual requests from the same CORS handler and policy (the same origins, the same credentials setting)',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers both from one policy: remove the CORS layer that answers only one of them',
    },
    rules: ['R10', 'R14', 'R19'],
  },
  'refusal-5xx': {
    kind: 'mistake',
    title: 'a refused origin is answered with a server error',
    meaning:
      "the server answers an origin it does not allow with a 5xx instead of the usual answer without CORS headers (the cors package's callback(new Error(...)) becomes Express's 500)",
    engines: same(
      'blocks, as for any response without Access-Control-Allow-Origin; the page sees a CORS error',
    ),
    severity: LOW,
    impact:
      'every page on another site (and every crawler sending Origin) fills the error logs and alerts, retries multiply, and same-origin tools that send Origin break',
    fix: 'refuse an origin by leaving out the CORS headers and answering the request as usual (cors package: call back with false, not with an Error)',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate refuses an origin by leaving out the CORS headers (a preflight gets 403 with Vary: Origin), never with a 5xx',
    },
    rules: ['R10', 'R12'],
  },
  'wildcard-authorization': {
    kind: 'mistake',
    title: 'Access-Control-Allow-Headers: * is relied on to allow Authorization',
    meaning:
      'the preflight answers a request for Authorization with "*" and does not name Authorization; the Fetch Standard says "*" never covers Authorization, engines let it today (whatwg/fetch#1919)',
    engines: same(
      'lets "*" cover Authorization without credentials today (a warning, not a failure); with credentials "*" is a literal name and covers nothing',
    ),
    severity: LOW,
    impact:
      'works in every engine today and breaks the day an engine follows the standard: every request with Authorization fails',
    fix: 'list Authorization explicitly: Access-Control-Allow-Headers: Authorization, Content-Type',
    corsgate: {
      change: { kind: 'flag', flag: '--request-headers', takes: 'header' },
      text: 'start the gateway with --request-headers Authorization (requestHeaders: in corsgate.yaml)',
    },
    rules: ['R17', 'R18'],
  },
  'preflight-vary-missing': {
    kind: 'mistake',
    title: 'the preflight answer depends on the requested method or headers, but Vary does not say so',
    meaning:
      'two preflights asking for different methods or headers get different Access-Control-Allow-Methods or -Headers, and Vary lacks Access-Control-Request-Method or -Headers',
    engines: same(
      'keeps its own preflight cache by origin and URL, so the browser is not affected; shared caches are',
    ),
    severity: LOW,
    impact:
      "a cache that stores OPTIONS answers (a CDN told to cache them) replays one request's allowed methods or headers to another, which then fails",
    fix: 'add Vary: Access-Control-Request-Method, Access-Control-Request-Headers to preflight answers built from those headers, or answer with a fixed list',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers preflights with fixed lists from its policy',
    },
    rules: ['R24'],
  },
  'max-age-over-cap': {
    kind: 'mistake',
    title: "Access-Control-Max-Age is above an engine's cap",
    meaning:
      'the preflight asks to be cached longer than an engine keeps any preflight: Chromium 7200 s, Firefox 86400 s, WebKit 600 s',
    engines: {
      chromium: 'caps the preflight cache at 7200 s',
      firefox: 'caps the preflight cache at 86400 s',
      webkit: 'caps the preflight cache at 600 s',
    },
    severity: LOW,
    impact:
      'above the cap the engine silently uses its cap, so the preflight is repeated more often than the value says (a latency budget planned on the value is wrong)',
    fix: 'send a Max-Age the engines honour: 600 for every engine, 7200 at most',
    corsgate: { change: { kind: 'none' }, text: 'start the gateway with --max-age 600' },
    rules: ['R20', 'R21'],
  },
  'acrh-unbounded': {
    kind: 'mistake',
    title: 'the preflight echoes an Access-Control-Request-Headers of any length',
    meaning:
      'the server parses and echoes every name a preflight asks for, however many: a hundred names come back in Access-Control-Allow-Headers',
    engines: same(
      'asks only for the headers the script set; an attacker asks for any number with a plain HTTP client',
    ),
    severity: LOW,
    impact:
      'one small preflight makes the server parse, allocate and send a large answer (rs/cors and jub0bs/cors cap the list for this reason)',
    fix: 'answer with a fixed list of allowed headers, or refuse a list longer than the headers the API accepts',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate answers with the fixed --request-headers list and bounds what it parses (docs/rules.md §4)',
    },
    rules: ['R17', '§4'],
  },
  'acrh-multiline-refused': {
    kind: 'mistake',
    title: 'Access-Control-Request-Headers sent on two lines is not understood',
    meaning:
      'HTTP lets a list header come on several lines; the server reads one line only (AWS API Gateway event.headers, Go Header.Get) and allows half the list',
    engines: same('sends one line; a proxy or an HTTP/2 to HTTP/1.1 hop may split it into several'),
    severity: LOW,
    impact: `${BLOCKED_IMPACT}, behind the proxies that split the list`,
    fix: 'read every line of the header (Node: req.headers joins them; Go: r.Header.Values), or answer with a fixed list',
    corsgate: {
      change: { kind: 'none' },
      text: 'corsgate reads every line of the header (docs/rules.md §4)',
    },
    rules: ['R9', '§4'],
  },
} as const satisfies Record<string, FailureClass>;

const NO_HEADER_HELPS = 'no CORS header, allowlist line or corsgate flag changes this';

/**
 * Failures that look like CORS but are not (`corsgate explain` names them instead of proposing a
 * CORS change): the browser stops the request for a reason of its own.
 */
const NOT_CORS = {
  'local-network-access': {
    kind: 'not-cors',
    title: "Chromium's Local Network Access: a page reached for a loopback or private address",
    meaning:
      'a page served from a more public address (the internet) fetched a loopback or private one (localhost, 127.0.0.1, 10.x, 192.168.x, an intranet name); Chromium lets it through only from a secure context and only once the user allows it',
    engines: {
      chromium:
        'blocks unless the page is https and the user allowed local network access when asked; a preflight fails with net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS',
      firefox: 'lets it through (no permission asked in the versions the browser suite runs)',
      webkit: 'lets it through (no permission asked)',
    },
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; it fails before reaching the server`,
    fix: 'serve the page over https and let users allow local network access when Chromium asks, or call the API at a public address',
    corsgate: { change: { kind: 'none' }, text: NO_HEADER_HELPS },
    rules: ['§2'],
  },
  'mixed-content': {
    kind: 'not-cors',
    title: 'mixed content: an https page requested an http URL',
    meaning:
      'a page loaded over https fetched a plain http URL (not localhost); browsers block such mixed content before it is sent, whatever the server would answer',
    engines: same('blocks before sending; the console names mixed content, not CORS'),
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; it never reaches the server`,
    fix: 'call the API over https',
    corsgate: {
      change: { kind: 'none' },
      text: `${NO_HEADER_HELPS}; serve corsgate over TLS (--tls-cert, --tls-key) and call it with https`,
    },
    rules: [],
  },
  'blocked-by-client': {
    kind: 'not-cors',
    title: 'blocked by the browser itself: an extension or a policy',
    meaning:
      'the browser cancelled the request on its own (net::ERR_BLOCKED_BY_CLIENT): an ad or privacy blocker, or an enterprise policy, matched its URL',
    engines: same('blocks when an extension or a policy matches the URL'),
    severity: LOW,
    impact: `${BLOCKED_IMPACT}; only for the users with that extension`,
    fix: 'try without the extension; rename the path it matches (ads, track, analytics) if users keep it',
    corsgate: { change: { kind: 'none' }, text: NO_HEADER_HELPS },
    rules: [],
  },
  'network-error': {
    kind: 'not-cors',
    title: 'a network error: no server answered',
    meaning:
      'the connection was refused, reset or timed out, the name did not resolve or the certificate was refused: there is no response whose headers could be judged (Firefox still words it "CORS request did not succeed")',
    engines: {
      chromium: 'fails with net::ERR_CONNECTION_REFUSED (or another net::ERR_…), and says so in the console',
      firefox: 'fails; console: "(Reason: CORS request did not succeed)" with status (null)',
      webkit: 'fails; console: "Could not connect to the server."',
    },
    severity: LOW,
    impact: BLOCKED_IMPACT.replace('; the request may still have reached the server', ''),
    fix: 'make the server reachable at that URL: is it running, on that host and port, with a certificate the browser accepts?',
    corsgate: {
      change: { kind: 'none' },
      text: `${NO_HEADER_HELPS}; check that corsgate listens where the page calls it`,
    },
    rules: [],
  },
  'third-party-cookies': {
    kind: 'not-cors',
    title: 'third-party cookies blocked by the browser on a credentialed request',
    meaning:
      'the response allows credentials, but the browser kept the cookie from the cross-site request (Safari always, Firefox by default), so the API answers as if no one were signed in (401, 403)',
    engines: {
      chromium: 'sends the cookie unless the user blocks third-party cookies',
      firefox: 'keeps the cookie (Total Cookie Protection) unless the API is on the same site',
      webkit: 'keeps the cookie (Intelligent Tracking Prevention) unless the API is on the same site',
    },
    severity: LOW,
    impact: 'the request succeeds at CORS level but the API sees no session',
    fix: 'serve the API on the same site as the page (a subdomain), or authenticate with a token in Authorization instead of a cookie',
    corsgate: { change: { kind: 'none' }, text: NO_HEADER_HELPS },
    rules: [],
  },
} as const satisfies Record<string, FailureClass>;

export const CATALOGUE = { ...BLOCKED, ...OVER_TRUST, ...MISTAKES, ...NOT_CORS } as const satisfies Record<
  string,
  FailureClass
>;

/** A class's stable id: also its SARIF rule id and its anchor in docs/failures.md. */
export type ClassId = keyof typeof CATALOGUE;

export const CLASS_IDS = Object.keys(CATALOGUE) as ClassId[];

export function failureClass(id: ClassId): FailureClass {
  return CATALOGUE[id];
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
