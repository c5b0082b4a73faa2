/**
 * The classes issue 24 adds to `corsgate scan` (docs/cli.md "What it finds"). Kept apart from
 * findings.ts only until the one catalogue of failure classes exists; then each entry moves there.
 */
// No import from findings.ts (that would be a circle): its `satisfies` checks these entries' shape.

const CREDENTIALED_READ =
  "with credentials, that page reads the API's responses as the visitor, with their cookies or HTTP authentication";

export const MORE_FINDING_CLASSES = {
  'preflight-not-handled': {
    title: 'preflights are not answered by the CORS handler',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'every request that needs a preflight (PUT, DELETE, JSON bodies, Authorization) fails in every browser: an authentication layer answers 401/403 (a browser never sends credentials on a preflight), the router answers 404/405, or the OPTIONS goes on to an upstream that knows nothing of CORS',
    fix: 'answer OPTIONS requests that carry Origin and Access-Control-Request-Method in the CORS handler, before authentication and routing (corsgate: put the gateway or the adapter first; it answers preflights itself)',
  },
  'acao-duplicate': {
    title: 'the response has two Access-Control-Allow-Origin lines',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'browsers join the two lines into "a, b", which matches no origin, so every cross-origin read fails (usually a proxy and the app both adding the header)',
    fix: 'set the header in one place only; a proxy in front of a CORS-aware app must replace it, not add it (nginx: proxy_hide_header Access-Control-Allow-Origin; corsgate serve replaces the upstream lines)',
  },
  'refusal-5xx': {
    title: 'a refused origin is answered with a server error',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'a plain refusal becomes a 5xx: every page on another site (and every crawler sending Origin) fills the error logs and alerts, retries multiply, and the real answer the same request would get without Origin is hidden',
    fix: 'refuse an origin by leaving out the CORS headers and answering the request as usual (the cors package: call back with false, not with an Error)',
  },
  'error-statuses-without-cors': {
    title: 'authentication errors or server errors lack the CORS headers the resource has',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'a trusted page sees "CORS error" instead of the 401 (so it cannot send the user to log in again) or the 5xx (so it cannot retry or report it): the authentication layer or the error handler answers before the CORS middleware runs',
    fix: 'run the CORS middleware before authentication and error handling so every status carries the headers (nginx: add_header … always)',
  },
  'wildcard-authorization': {
    title: 'Access-Control-Allow-Headers: * is relied on to allow Authorization',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'Chromium, Firefox and WebKit let * cover Authorization today, but the Fetch Standard says it never does (whatwg/fetch#1919): a conforming engine will refuse every request with Authorization; with credentials * is a literal name and covers nothing',
    fix: 'list Authorization explicitly: Access-Control-Allow-Headers: Authorization, Content-Type (corsgate: --request-headers Authorization,Content-Type)',
  },
  'preflight-vary-missing': {
    title: 'the preflight answer depends on the requested method or headers, but Vary does not say so',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      "a cache that stores OPTIONS answers (a CDN told to cache them) replays one request's allowed methods or headers to another, which then fails",
    fix: 'add Vary: Access-Control-Request-Method, Access-Control-Request-Headers to preflight answers built from those headers, or answer with a fixed list',
  },
  'max-age-over-cap': {
    title: "Access-Control-Max-Age is above an engine's cap",
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'Chromium keeps a preflight at most 7200 s, Firefox 86400 s, WebKit 600 s: above the cap the engine silently uses its cap, so the preflight is repeated more often than the value says',
    fix: 'send a Max-Age the engines honour (600 for every engine, 7200 at most); corsgate: --max-age 600',
  },
  'preflight-actual-mismatch': {
    title: 'the preflight allows what the actual response then refuses',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'the browser sends the request after a successful preflight, the server acts on it (a PUT changes data), and the page is still refused the answer: the CORS headers of the preflight and of the actual response come from two different places',
    fix: 'answer preflights and actual requests from the same CORS handler and policy (the same origin list, the same credentials setting)',
  },
  'acrh-unbounded': {
    title: 'the preflight echoes an Access-Control-Request-Headers of any length',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'every name asked for is parsed and sent back, so one small preflight makes the server parse, allocate and send a large answer (rs/cors and jub0bs/cors cap the list for this reason)',
    fix: 'answer with a fixed list of allowed headers, or refuse a list longer than the headers the API accepts',
  },
  'acrh-multiline-refused': {
    title: 'Access-Control-Request-Headers sent on two lines is not understood',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'HTTP lets a list header come on several lines (RFC 9110 §5.3) and proxies may split it; a server reading only one line (AWS API Gateway event.headers, Go Header.Get) allows half the list and the browser refuses the rest',
    fix: 'read every line of the header (Node: req.headers joins them; Go: r.Header.Values), or answer with a fixed list',
  },
  'public-suffix-wildcard': {
    title: 'every site under a public suffix is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `anyone registers a domain under the suffix (.com, .co.uk) and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'a wildcard must stop at a domain you own (https://*.example.com), never at a public suffix (corsgate refuses such a pattern)',
  },
  'shared-hosting-trusted': {
    title: 'origins on shared hosting are allowed (a Public Suffix List private domain)',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `anyone can publish a page under github.io, s3.amazonaws.com or blob.core.windows.net and read the responses: ${CREDENTIALED_READ}`,
    fix: 'allow the one origin you own on the shared host (https://myorg.github.io), never every subdomain of the host',
  },
  'private-network-any-origin': {
    title: 'the legacy Access-Control-Allow-Private-Network is granted to any origin',
    severity: { credentials: 'high', anonymous: 'medium' },
    impact:
      'a public page opened on a machine inside the network reaches this private or local server: the server answers the Private Network Access preflight for an origin it has never heard of',
    fix: 'send Access-Control-Allow-Private-Network: true only to the origins that should reach the private network, and never with Access-Control-Allow-Origin: *',
  },
  'origin-not-normalised': {
    title: 'spellings of a trusted origin that are different origins or never sent are allowed',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'the check parses and normalises the Origin (case, trailing dot, default port) instead of comparing it whole: https://app.example.com. is another origin to the browser, and a check that parses is one parser difference away from a look-alike',
    fix: 'compare the Origin header byte for byte with the allowed origins, as browsers serialize them (corsgate does)',
  },
  'host-characters': {
    title: 'a look-alike origin with $, + or & in the host name is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `the URL Standard lets $, + and & into a host name and engines send them (WebKit resolves such names); a regular expression that takes the host as [\\w.-]+ stops there, so https://app.example.com$.attacker.example reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the Origin header as a whole string; a regular expression must be anchored at both ends (^…$) and match the whole host',
  },
  'websocket-any-origin': {
    title: 'the WebSocket endpoint accepts a handshake from any Origin',
    severity: { credentials: 'high', anonymous: 'medium' },
    impact:
      "CORS does not apply to WebSockets: any page opens the socket with the visitor's cookies and reads and sends messages as them (cross-site WebSocket hijacking)",
    fix: "check the handshake's Origin against the allowed origins and refuse others with 403 (ws: verifyClient; corsgate serve checks it for the upstream)",
  },
} as const;
