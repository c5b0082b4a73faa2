/**
 * Fetch API translation shared by the fetch and hono adapters: request facts from a `Request`, and a
 * decision applied to a `Response` without re-creating it when its headers are mutable.
 * @internal
 */
import type { Decision, RequestFacts } from '../engine/decision.js';
import type { Policy } from '../engine/policy.js';
import { appendVary } from '../engine/vary.js';
import { answerStatus } from './_shared.js';

/**
 * Decides one Fetch API request. A request without `Origin` reads no other header: it is not a CORS
 * request (R1), and most traffic is like that. `Headers.get` joins repeated lines with ", ", which
 * the engine refuses as a malformed origin (R3), so a joined value fails closed.
 */
export function decideFetch(policy: Policy, request: Request): Decision {
  const h = request.headers;
  const origin = h.get('origin');
  if (origin === null) return policy.evaluate({ method: request.method });
  const method = request.method;
  const preflight = method === 'OPTIONS';
  const facts: RequestFacts = {
    method,
    origin,
    accessControlRequestMethod: preflight ? (h.get('access-control-request-method') ?? undefined) : undefined,
    accessControlRequestHeaders: preflight
      ? (h.get('access-control-request-headers') ?? undefined)
      : undefined,
    accessControlRequestPrivateNetwork: preflight
      ? (h.get('access-control-request-private-network') ?? undefined)
      : undefined,
    host: h.get('host') ?? undefined,
    scheme: request.url.startsWith('https:') ? 'https' : 'http',
    secFetchSite: h.get('sec-fetch-site') ?? undefined,
  };
  return policy.evaluate(facts);
}

/** The answer to a preflight (allowed or refused) or a blocked request: status and headers, no body. */
export function answerResponse(decision: Decision): Response {
  const headers: Record<string, string> = { ...decision.headers };
  const vary = appendVary(undefined, decision.vary);
  if (vary !== undefined) headers['Vary'] = vary;
  return new Response(null, { status: answerStatus(decision), headers });
}

function setOn(headers: Headers, decision: Decision): void {
  const cors = decision.headers;
  for (const name in cors) headers.set(name, cors[name]!);
  if (decision.vary.length === 0) return;
  headers.set('Vary', appendVary(headers.get('vary') ?? undefined, decision.vary)!);
}

/**
 * Adds the decision's headers to the handler's response. Headers of a `new Response()` are mutable
 * and are changed in place, keeping the body as it is (no stream is materialised: the hono/cors
 * trap in peer-benchmark.md). A response whose headers are immutable (from `fetch()`,
 * `Response.redirect()`) is copied once, sharing the body stream.
 */
export function applyToResponse(response: Response, decision: Decision): Response {
  if (decision.vary.length === 0 && isEmpty(decision.headers)) return response;
  try {
    setOn(response.headers, decision);
    return response;
  } catch {
    // TypeError: immutable headers. The first `set` is the one that throws, so nothing was changed.
    let copy: Response;
    try {
      copy = new Response(response.body, response);
    } catch {
      return response; // status 0 (Response.error()) or 101 cannot be rebuilt; nothing to add to.
    }
    setOn(copy.headers, decision);
    return copy;
  }
}

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}
