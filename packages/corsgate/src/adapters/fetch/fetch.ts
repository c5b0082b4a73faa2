/**
 * corsgate for any Fetch API server (Bun, Deno, Cloudflare Workers, @hono/node-server's `serve`):
 * `withCors(handler, options)`.
 * @module
 */
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
 * response. A synchronous handler stays synchronous. A handler that throws or rejects is not
 * caught: the runtime answers it, without CORS headers; turn errors into responses inside the
 * handler to let the browser see them.
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
    const decision = source.current().evaluate(fetchFacts(request));
    if (answersItself(decision, request.method, source.block)) return answerResponse(decision);
    const response = handler(request, ...rest);
    // Duck-typed: a Response from another realm or a runtime's own class is still a Response.
    if (typeof (response as Promise<Response>).then !== 'function')
      return applyToResponse(response as Response, decision);
    return (response as Promise<Response>).then((r) => applyToResponse(r, decision));
  };
  return Object.assign(wrapped, { ready: source.ready, close: () => source.close() });
}
