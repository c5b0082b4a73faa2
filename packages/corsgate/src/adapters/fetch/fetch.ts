/**
 * corsgate for any Fetch API server (Bun, Deno, Cloudflare Workers, @hono/node-server's `serve`):
 * `withCors(handler, options)`.
 * @module
 */
import type { Decision } from '../../engine/decision.js';
import { answersItself } from '../../request/answer.js';
import { answerResponse, applyToResponse, fetchFacts } from '../../request/fetch.js';
import { type CorsOptions, policySource } from '../_shared.js';

/** The wrapped handler, with the policy's lifecycle attached. */
export type CorsFetchHandler<A extends unknown[]> = ((
  request: Request,
  ...rest: A
) => Response | Promise<Response>) & {
  /** Resolves once the policy is loaded. */
  readonly ready: Promise<void>;
  /** Stops watching an allowlist file (no-op otherwise). */
  close(): Promise<void>;
};

/**
 * Wraps a fetch handler. Preflights are answered without calling it. Other requests call it with
 * the same arguments (so `env` and `ctx` of workers pass through) and get CORS headers added to its
 * response. A synchronous handler stays synchronous. A handler that throws or rejects gets a
 * `500 Internal Server Error` with the CORS headers (the error is logged with console.error), so the
 * page sees the server error rather than a CORS failure.
 * @param handler `(request, ...rest) => Response | Promise<Response>`
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @throws CorsConfigError at once when the configuration is invalid.
 * @example
 * import { withCors } from 'corsgate/fetch';
 * export default {
 *   fetch: withCors(() => Response.json({ ok: true }), { origins: ['https://app.example.com'] }),
 * };
 */
export function withCors<A extends unknown[]>(
  handler: (request: Request, ...rest: A) => Response | Promise<Response>,
  options?: CorsOptions,
): CorsFetchHandler<A> {
  const source = policySource(options);
  const wrapped = (request: Request, ...rest: A): Response | Promise<Response> => {
    const facts = fetchFacts(request);
    const decision = source.current().evaluate(facts);
    if (source.report !== undefined && !decision.allowed) source.report(decision, facts, request.url);
    if (answersItself(decision, request.method, source.block)) return answerResponse(decision);
    let response: Response | Promise<Response>;
    try {
      response = handler(request, ...rest);
    } catch (error) {
      return failed(error, decision);
    }
    // Duck-typed: a Response from another realm or a runtime's own class is still a Response.
    if (typeof (response as Promise<Response>).then !== 'function')
      return applyToResponse(response as Response, decision);
    return (response as Promise<Response>).then(
      (r) => applyToResponse(r, decision),
      (error: unknown) => failed(error, decision),
    );
  };
  return Object.assign(wrapped, { ready: source.ready, close: () => source.close() });
}

/**
 * The answer to a handler that threw or rejected: a 500 that still carries the CORS headers, so the
 * page can read the status and the browser console shows the server error, not a CORS error
 * (docs/middleware.md "Fetch API"). The error is logged with console.error, as runtimes and Hono's
 * default error handler do; catch errors in the handler to answer them your own way.
 */
function failed(error: unknown, decision: Decision): Response {
  console.error(error);
  const response = new Response('Internal Server Error', {
    status: 500,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
  return applyToResponse(response, decision);
}
