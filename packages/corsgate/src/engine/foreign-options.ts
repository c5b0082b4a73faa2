/**
 * Option names of other CORS packages (`cors`, `@fastify/cors`, `@koa/cors`, `hono/cors`) given
 * to corsgate: the unknown-field error names ours, or says why none is needed, so a migration is a
 * rename and not a search (docs/migrating.md has the whole table with the behaviour changes).
 * @internal
 */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  origin:
    'did you mean "origins"? a list of exact origins and https://*. patterns; no functions, regular expressions or reflection (docs/migrating.md)',
  allowedHeaders: 'did you mean "requestHeaders"?',
  allowHeaders: 'did you mean "requestHeaders"?',
  headers: 'did you mean "requestHeaders"?',
  exposedHeaders: 'did you mean "exposeHeaders"?',
  allowMethods: 'did you mean "methods"?',
  optionsSuccessStatus: 'did you mean "preflightStatus"? (200 or 204)',
  privateNetworkAccess: 'did you mean "privateNetwork"?',
  allowPrivateNetwork: 'did you mean "privateNetwork"?',
  preflightContinue:
    'remove it: corsgate answers every preflight itself and never passes one to the application (docs/migrating.md)',
  preflight: 'remove it: corsgate always answers preflights; other OPTIONS requests reach the application',
  strictPreflight:
    'remove it: an OPTIONS request without Access-Control-Request-Method is not a preflight and reaches the application',
  keepHeadersOnError:
    'remove it: corsgate sets its headers before the application runs, so error responses keep them',
  delegator: 'remove it: for origins that change at run time give an allowlist source (docs/migrating.md)',
  hideOptionsRoute: 'remove it: corsgate registers no OPTIONS route',
  hook: 'remove it: corsgate answers preflights in onRequest, the earliest hook, and adds its headers to every reply',
  cacheControl:
    'remove it: browsers cache a preflight for "maxAge" seconds (Access-Control-Max-Age), not by Cache-Control',
  secureContext:
    'remove it: Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy are not CORS; set them in the application',
};

/** The hint for an unknown configuration field that another CORS package uses, if any. */
export function foreignOptionHint(field: string): string | undefined {
  return Object.hasOwn(FOREIGN_OPTIONS, field) ? FOREIGN_OPTIONS[field] : undefined;
}
