/**
 * Every CORS misconfiguration `corsgate scan` reports: what it is, what an attacker can do with it,
 * the fix, and its severity with and without credentials. One registry, so the text report, the
 * JSON, the SARIF rules and docs/cli.md describe the same classes (a test checks the docs).
 */

import { MORE_FINDING_CLASSES } from './findings-more.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface FindingClass {
  readonly title: string;
  /** Severity when the over-trusted origin also gets credentials (ACAC: true), and when not. */
  readonly severity: { readonly credentials: Severity; readonly anonymous: Severity };
  readonly impact: string;
  readonly fix: string;
}

const CREDENTIALED_READ =
  "with credentials, that page reads the API's responses as the visitor, with their cookies or HTTP authentication (account data, CSRF tokens)";
const ANONYMOUS_READ =
  'without credentials, that page reads what anyone could fetch, plus whatever the network position of the visitor reaches (an intranet, an IP allowlist)';

export const FINDING_CLASSES = {
  'origin-reflected': {
    title: 'any origin is allowed: Access-Control-Allow-Origin reflects the request Origin',
    severity: { credentials: 'critical', anonymous: 'low' },
    impact: `any web page on any site can read the responses: ${CREDENTIALED_READ}; ${ANONYMOUS_READ}`,
    fix: 'compare the Origin with an exact list of allowed origins and answer only those (corsgate: an allowlist file; the cors package: origin: [..] instead of origin: true)',
  },
  'null-trusted': {
    title: 'the null origin is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `any site can send Origin: null from a sandboxed iframe or a data: page, so any site reads the responses: ${CREDENTIALED_READ}`,
    fix: 'never allow "null": it is not one origin but every opaque one (remove null from the list)',
  },
  'prefix-match': {
    title: 'an origin that starts with a trusted origin is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as trusted.example.attacker.net and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality (or anchor the pattern at both ends: ^https://app\\.example\\.com$), never startsWith',
  },
  'suffix-match': {
    title: 'an origin that ends with the trusted domain name is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as attackerexample.com and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality; to allow subdomains match ".example.com" with the dot, on the parsed host, and only over https',
  },
  'substring-match': {
    title: 'an origin that merely contains a trusted host name is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `an attacker registers a domain such as attackerapp.example.com.attacker.net and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the whole origin for equality, never with includes() or an unanchored regular expression',
  },
  'unescaped-dot': {
    title: 'a pattern with an unescaped dot allows a different domain',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `"." in a regular expression matches any character, so an attacker registers appxexample.com for app.example.com and reads the responses: ${CREDENTIALED_READ}`,
    fix: 'escape every dot in origin patterns (app\\.example\\.com), or better, use an exact list',
  },
  'special-characters': {
    title: 'a look-alike origin with a character browsers allow in host names is allowed',
    severity: { credentials: 'high', anonymous: 'low' },
    impact: `browsers accept characters such as _ \` } ! in host names; a check that parses the origin with a lenient parser (Node's legacy url.parse, a hand-written regex) stops at them and sees the trusted host, so https://app.example.com\`.attacker.net reads the responses: ${CREDENTIALED_READ}`,
    fix: 'compare the Origin header as a whole string with the allowed origins; never parse it with url.parse or a regex that stops at unusual characters',
  },
  'subdomain-trusted': {
    title: 'any subdomain is allowed where only named origins should be',
    severity: { credentials: 'medium', anonymous: 'low' },
    impact: `one vulnerable or taken-over subdomain (an old marketing site, a dangling CNAME, an XSS) reads the API: ${CREDENTIALED_READ}`,
    fix: 'list the origins that need access; if a wildcard is intended, declare it with --origin https://*.example.com',
  },
  'insecure-origin-trusted': {
    title: 'a plain http:// origin is allowed by an https API',
    severity: { credentials: 'medium', anonymous: 'low' },
    impact: `a network attacker (public Wi-Fi) injects a script into the http:// page and reads the https API through it: ${CREDENTIALED_READ}`,
    fix: 'allow only https:// origins (http:// only for loopback development)',
  },
  'wildcard-with-credentials': {
    title: 'Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'browsers refuse this pair for credentialed requests, so it does not leak by itself; it shows the intent to let every site read with credentials, usually one change away from reflecting the origin',
    fix: 'for credentialed access echo the exact allowed origin with Vary: Origin; otherwise drop Access-Control-Allow-Credentials',
  },
  'preflight-any-method': {
    title: 'the preflight allows any method it is asked for',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'Access-Control-Allow-Methods echoes Access-Control-Request-Method, so a trusted page (or a script injected into it) can send any method, including ones the API never meant to expose cross-origin',
    fix: 'answer with the fixed list of methods the API serves cross-origin',
  },
  'preflight-any-header': {
    title: 'the preflight allows any request header it is asked for',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'Access-Control-Allow-Headers echoes Access-Control-Request-Headers, so a trusted page can send any header, defeating custom-header CSRF defences and header-based routing assumptions',
    fix: 'answer with the fixed list of request headers the API accepts cross-origin',
  },
  'private-network-credentials': {
    title: 'an internal host allows a public origin with credentials',
    severity: { credentials: 'medium', anonymous: 'medium' },
    impact:
      "a page on the public web, opened by someone inside the network, reads this internal API with the visitor's credentials",
    fix: 'internal APIs should trust only internal origins; if a public origin really needs access, send no credentials and answer Private Network Access preflights deliberately',
  },
  'vary-missing': {
    title: 'Access-Control-Allow-Origin depends on Origin but Vary lacks Origin',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      "a shared cache (CDN, proxy) serves one origin's response to another: other origins' pages break, and a response cached without CORS headers blocks every origin until it expires",
    fix: 'add Vary: Origin to every response of the resource whose CORS headers depend on Origin, including responses without CORS headers',
  },
  'errors-without-cors': {
    title: 'error responses lack the CORS headers the resource has',
    severity: { credentials: 'low', anonymous: 'low' },
    impact:
      'a trusted page cannot read the error status or body (the browser reports a CORS error instead of the 404 or 500), which hides failures and breaks error handling',
    fix: 'add the CORS headers on every status (nginx: add_header … always; frameworks: register the CORS middleware before routing and error handlers)',
  },
  ...MORE_FINDING_CLASSES,
} as const satisfies Record<string, FindingClass>;

export type FindingId = keyof typeof FINDING_CLASSES;

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
