/**
 * corsgate for Hono 4: `app.use('*', cors(options))`, before routes and authentication.
 * @module
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { answersItself } from '../../request/answer.js';
import { answerResponse, applyToResponse, fetchFacts } from '../../request/fetch.js';
import { type CorsOptions, policySource } from '../_shared.js';
import { applyAtWriteHead, nodeOutgoing } from './outgoing.js';

/** A Hono middleware with the policy's lifecycle attached. */
export type HonoCorsMiddleware = MiddlewareHandler & {
  /** Resolves once the policy is loaded. */
  readonly ready: Promise<void>;
  /** Stops watching an allowlist file (no-op otherwise). */
  close(): Promise<void>;
};

/**
 * Preflights are answered with a fresh Response and never reach `next`. For other requests the
 * middleware does not touch `c.res` before the handler runs: reading it early makes Hono rebuild
 * the handler's Response and stream its body, 5.5x slower (hono/cors, bench/middleware/RESULTS.md). Headers
 * are added after `next()` to whatever response Hono settled on, including `onError` and
 * `notFound` answers. On `@hono/node-server` (`c.env.outgoing`) they are merged into the head the
 * server writes instead, so the Response stays on the server's cached fast path; `c.res` then does
 * not show them to middleware registered before this one.
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @throws CorsConfigError at once when the configuration is invalid.
 * @example
 * import { Hono } from 'hono';
 * import { cors } from 'corsgate/hono';
 * const app = new Hono();
 * app.use('*', cors({ origins: ['https://app.example.com'], credentials: true }));
 * app.get('/api/items', (c) => c.json([]));
 * export default app;
 */
export function cors(options?: CorsOptions): HonoCorsMiddleware {
  const source = policySource(options);
  const middleware = async (c: Context, next: Next): Promise<Response | undefined> => {
    const facts = fetchFacts(c.req.raw);
    const decision = source.current().evaluate(facts);
    if (source.report !== undefined && !decision.allowed) source.report(decision, facts, c.req.url);
    if (answersItself(decision, c.req.method, source.block)) return answerResponse(decision);
    const outgoing = nodeOutgoing(c.env);
    if (outgoing !== undefined) {
      // On @hono/node-server the headers go into the head it writes, whatever response that is.
      applyAtWriteHead(outgoing, decision);
      await next();
      return undefined;
    }
    await next();
    const response = c.res;
    const updated = applyToResponse(response, decision);
    if (updated !== response) {
      // Assigning over an existing response makes Hono copy the old headers onto the new one,
      // which would undo ours; clearing first makes the assignment a plain swap.
      c.res = undefined;
      c.res = updated;
    }
    return undefined;
  };
  return Object.assign(middleware, { ready: source.ready, close: () => source.close() });
}
