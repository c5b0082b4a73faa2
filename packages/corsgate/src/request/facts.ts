/**
 * The one place a request's CORS facts are read, for every adapter and the gateway: each runtime
 * only gives a view of its headers (`request/node.ts`, `request/fetch.ts`), so one request gets one
 * decision and one reason whichever way it came in. Pure: no I/O, no Node imports.
 * @internal
 */
import type { RequestFacts } from '../engine/decision.js';

/**
 * The request headers CORS reads, by lower-case name: the field value with repeated lines joined
 * by ", " (what node:http and the Fetch API's `Headers.get` both give), or undefined when absent.
 * Node's `req.headers` is one as it is; a view of Fetch `Headers` reads each only when asked.
 * Fixed property names keep the reads fast (named property loads, not a call per header).
 */
export interface HeaderView {
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly 'access-control-request-method'?: string | undefined;
  readonly 'access-control-request-headers'?: string | undefined;
  readonly 'access-control-request-private-network'?: string | undefined;
  readonly 'sec-fetch-site'?: string | undefined;
}

/**
 * The CORS facts of one request.
 *
 * A request without `Origin` reads no other header: it is not a CORS request (R1, docs/engine.md
 * "Rules the engine applies"), and most traffic is like that. The preflight headers are read only
 * for `OPTIONS`, the only method the engine reads them for (R2).
 *
 * `Origin` is not a list header: a browser sends one line with one serialized origin, which never
 * holds a comma. A comma therefore means more than one origin, whether it came as two lines that
 * the runtime joined or as one line (HTTP treats the two alike, RFC 9110 §5.3); both become the
 * separate values, which the engine refuses as `origin-multiple`. Runtimes that cannot tell the
 * two apart (the Fetch API) and those that can (node:http) thus give the same reason.
 * @param scheme the scheme the client used to reach this server (never a forwarded header)
 */
export function requestFacts(method: string, scheme: 'http' | 'https', headers: HeaderView): RequestFacts {
  const origin = headers.origin;
  const cors = origin !== undefined;
  const preflight = cors && method === 'OPTIONS';
  // Always the same fields, so the engine's reads of them stay monomorphic.
  return {
    method,
    origin: cors && origin.includes(',') ? originValues(origin) : origin,
    accessControlRequestMethod: preflight ? headers['access-control-request-method'] : undefined,
    accessControlRequestHeaders: preflight ? headers['access-control-request-headers'] : undefined,
    accessControlRequestPrivateNetwork: preflight
      ? headers['access-control-request-private-network']
      : undefined,
    host: cors ? headers.host : undefined,
    scheme,
    secFetchSite: cors ? headers['sec-fetch-site'] : undefined,
  };
}

/** The comma-separated values of a joined `Origin` field, without their optional white space. */
function originValues(joined: string): string[] {
  return joined.split(',').map((value) => value.trim());
}
