/**
 * corsgate for Koa 3: `app.use(cors(options))`, as the first middleware.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import type { Decision } from '../../engine/decision.js';
import { corsNode } from '../../request/node.js';
import { type CorsOptions, policySource } from '../_shared.js';

/** A Koa middleware with the policy's lifecycle attached. */
export interface KoaCorsMiddleware {
  (ctx: Context, next: Next): Promise<void> | void;
  /** Resolves once the policy is loaded. */
  readonly ready: Promise<void>;
  /** Stops watching an allowlist file (no-op otherwise). */
  close(): Promise<void>;
}

/**
 * Preflights are answered on the raw response (`ctx.respond = false`) and never reach `next`.
 * Other requests get their CORS headers before the app runs. Koa's error handler removes every
 * header before it answers, so a thrown error carries the CORS headers in `err.headers`, which Koa
 * sets back (the @koa/cors convention).
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @throws CorsConfigError at once when the configuration is invalid.
 * @example
 * import Koa from 'koa';
 * import { cors } from 'corsgate/koa';
 * const app = new Koa();
 * app.use(cors({ origins: ['https://app.example.com'], credentials: true }));
 * app.use((ctx) => { ctx.body = { ok: true }; });
 * app.listen(3000);
 */
export function cors(options?: CorsOptions): KoaCorsMiddleware {
  const source = policySource(options);
  const middleware = (ctx: Context, next: Next): Promise<void> | void => {
    const res = ctx.res;
    const decision = corsNode(source.current(), source.block, ctx.req, res, source.report);
    if (decision === undefined) {
      // Answered on the raw response: Koa must not write one of its own.
      ctx.respond = false;
      return;
    }
    return next().catch((err: unknown) => {
      throw withCorsHeaders(err, res, decision);
    });
  };
  return Object.assign(middleware, { ready: source.ready, close: () => source.close() });
}

/** The error with the response's CORS headers and Vary copied into `err.headers`. */
function withCorsHeaders(err: unknown, res: ServerResponse, decision: Decision): unknown {
  const target = (
    typeof err === 'object' && err !== null
      ? err
      : // Koa would wrap a non-error the same way, losing anything attached to the primitive.
        new Error(`non-error thrown: ${JSON.stringify(err)}`)
  ) as { headers?: Record<string, unknown> };
  const headers: Record<string, unknown> = { ...target.headers };
  for (const name in decision.headers) headers[name] = decision.headers[name];
  const vary = res.getHeader('vary');
  if (vary !== undefined) headers['Vary'] = vary;
  try {
    target.headers = headers;
  } catch {
    // A frozen error: Koa answers without CORS headers, as it would for any other header.
  }
  return target;
}
