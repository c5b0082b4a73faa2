/**
 * The classes `explain --har` reports, read from the failure catalogue by id (docs/failures.md):
 * title, generic fix, corsgate fix. Until the catalogue is on main this is a stand-in with the
 * catalogue's ids; the look-alikes are classes of their own kind (`not-cors`).
 */
export interface ClassView {
  readonly title: string;
  readonly fix: string;
  readonly corsgate: string;
  /** True for failures that look like CORS but that no CORS header can fix. */
  readonly notCors: boolean;
}

const NO_HEADER = 'no CORS header or corsgate setting changes this';

const VIEWS: Record<string, ClassView> = {
  'acao-missing': {
    title: 'the response has no Access-Control-Allow-Origin header',
    fix: 'answer the allowed origin with Access-Control-Allow-Origin: <origin> (and Vary: Origin), on every status',
    corsgate: 'add the page origin, one line, to the allowlist',
    notCors: false,
  },
  'acao-mismatch': {
    title: 'Access-Control-Allow-Origin names another origin',
    fix: 'echo the request Origin exactly when it is allowed, with Vary: Origin',
    corsgate: 'add the page origin, one line, to the allowlist',
    notCors: false,
  },
  'acao-duplicate': {
    title: 'two or more Access-Control-Allow-Origin lines',
    fix: 'set the header in one place only; a gateway must replace, not append',
    corsgate: "corsgate replaces the upstream's CORS headers: remove the other CORS layer",
    notCors: false,
  },
  'credentials-not-allowed': {
    title: 'a credentialed request without Access-Control-Allow-Credentials: true',
    fix: 'answer Access-Control-Allow-Credentials: true with the exact origin, or drop credentials from the request',
    corsgate: 'start the gateway with --credentials',
    notCors: false,
  },
  'wildcard-with-credentials': {
    title: 'Access-Control-Allow-Origin: * on a credentialed request',
    fix: 'echo the exact allowed origin with Vary: Origin',
    corsgate: 'list the page origin in the allowlist',
    notCors: false,
  },
  'method-not-allowed': {
    title: 'the preflight does not allow the method',
    fix: 'list the method in Access-Control-Allow-Methods on the preflight response',
    corsgate: 'start the gateway with --methods METHOD',
    notCors: false,
  },
  'header-not-allowed': {
    title: 'the preflight does not allow a request header',
    fix: 'list the header name in Access-Control-Allow-Headers on the preflight response',
    corsgate: 'start the gateway with --request-headers NAME',
    notCors: false,
  },
  'preflight-status': {
    title: 'the preflight was answered with a status outside 200-299',
    fix: 'answer OPTIONS preflights with 204 (or 200) before routing, authentication and method checks',
    corsgate: 'corsgate answers preflights itself: put it in front of the API',
    notCors: false,
  },
  'preflight-auth': {
    title: 'a preflight answered 401/403 by an authentication layer',
    fix: 'exempt CORS preflights from authentication, or put the CORS handler in front of it',
    corsgate: 'put corsgate in front of the authentication layer: it answers preflights itself',
    notCors: false,
  },
  'preflight-redirect': {
    title: 'a preflight answered with a redirect',
    fix: 'use the final URL in the page, or answer OPTIONS before the redirect rule',
    corsgate: 'corsgate never redirects a preflight: call the final URL',
    notCors: true,
  },
  'local-network-access': {
    title: "Chromium's Local Network Access: a page reached for a loopback or private address",
    fix: 'serve the page from a secure context (https) and let the user allow local network access when Chromium asks, or serve the API from a public address; a response header does not help',
    corsgate: NO_HEADER,
    notCors: true,
  },
  'mixed-content': {
    title: 'mixed content: an https page requested an http URL',
    fix: 'call the API over https',
    corsgate: `${NO_HEADER}; serve corsgate with TLS (--tls-cert, --tls-key) and call it over https`,
    notCors: true,
  },
  'blocked-by-client': {
    title: 'blocked by the browser itself (an extension or a policy)',
    fix: 'disable the extension (ad or privacy blocker) for the page, or rename the path it matches',
    corsgate: NO_HEADER,
    notCors: true,
  },
  'network-error': {
    title: 'a network error: no server answered',
    fix: 'make the server reachable at that URL (is it running, on that port, with that certificate?)',
    corsgate: `${NO_HEADER}; check that corsgate listens where the page calls it`,
    notCors: true,
  },
  'third-party-cookies': {
    title: 'third-party cookies blocked by the browser on a credentialed request',
    fix: 'serve the API from the same site as the page (a subdomain), or authenticate with a token instead of a cookie',
    corsgate: NO_HEADER,
    notCors: true,
  },
  unexplained: {
    title: 'the file does not show why the request failed',
    fix: 'export the HAR again with the failing request selected, or run corsgate check with the same request',
    corsgate: 'run corsgate check URL --origin ORIGIN with the same method and headers',
    notCors: false,
  },
};

export function classView(id: string): ClassView {
  return VIEWS[id] ?? VIEWS['unexplained']!;
}
