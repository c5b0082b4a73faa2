/**
 * The Fetch API's side of the request path, shared by the fetch and hono adapters: request facts
 * from a `Request`, and a decision applied to a `Response` without re-creating it when its headers
 * are mutable.
 * @internal
 */
import type { Decision, RequestFacts } from '../engine/decision.js';
import { appendVary } from '../engine/vary.js';
import { answerStatus } from './answer.js';
import { type HeaderView, requestFacts } from './facts.js';

/**
 * Fetch `Headers` as a `HeaderView`: each header is read only when `requestFacts` asks for it
 * (most requests carry no `Origin`, and then only that one is read). `Headers.get` joins repeated
 * lines with ", ", as node:http does.
 */
class FetchHeaderView implements HeaderView {
  constructor(private readonly headers: Headers) {}
  get origin(): string | undefined {
    return this.headers.get('origin') ?? undefined;
  }
  get host(): string | undefined {
    return this.headers.get('host') ?? undefined;
  }
  get 'access-control-request-method'(): string | undefined {
    return this.headers.get('access-control-request-method') ?? undefined;
  }
  get 'access-control-request-headers'(): string | undefined {
    return this.headers.get('access-control-request-headers') ?? undefined;
  }
  get 'access-control-request-private-network'(): string | undefined {
    return this.headers.get('access-control-request-private-network') ?? undefined;
  }
  get 'sec-fetch-site'(): string | undefined {
    return this.headers.get('sec-fetch-site') ?? undefined;
  }
}

/** The CORS facts of a Fetch API request (`requestFacts`); the scheme is the request URL's. */
export function fetchFacts(request: Request): RequestFacts {
  const scheme = request.url.startsWith('https:') ? 'https' : 'http';
  return requestFacts(request.method, scheme, new FetchHeaderView(request.headers));
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
 * trap measured in bench/middleware/RESULTS.md). A response whose headers are immutable (from `fetch()`,
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
