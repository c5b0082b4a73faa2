/**
 * The one place a request's CORS facts are read, for every adapter and the gateway: each runtime
 * only says how to read one header (`request/node.ts`, `request/fetch.ts`), so one request gets
 * one decision and one reason whichever way it came in. Pure: no I/O, no Node imports.
 * @internal
 */
import type { RequestFacts } from '../engine/decision.js';

/**
 * Reads one request header by its lower-case name: the field value with repeated lines joined by
 * ", " (what node:http and the Fetch API's `Headers.get` both give), or undefined when absent.
 */
export type HeaderReader<H> = (headers: H, lowerCaseName: string) => string | undefined;

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
export function requestFacts<H>(
  method: string,
  scheme: 'http' | 'https',
  headers: H,
  read: HeaderReader<H>,
): RequestFacts {
  const origin = read(headers, 'origin');
  if (origin === undefined) return { method };
  const preflight = method === 'OPTIONS';
  return {
    method,
    origin: origin.includes(',') ? originValues(origin) : origin,
    accessControlRequestMethod: preflight ? read(headers, 'access-control-request-method') : undefined,
    accessControlRequestHeaders: preflight ? read(headers, 'access-control-request-headers') : undefined,
    accessControlRequestPrivateNetwork: preflight
      ? read(headers, 'access-control-request-private-network')
      : undefined,
    host: read(headers, 'host'),
    scheme,
    secFetchSite: read(headers, 'sec-fetch-site'),
  };
}

/** The comma-separated values of a joined `Origin` field, without their optional white space. */
function originValues(joined: string): string[] {
  return joined.split(',').map((value) => value.trim());
}
