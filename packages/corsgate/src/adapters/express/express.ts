/**
 * corsgate for Express 5: `app.use(cors(options))`, first, before routers and authentication.
 * @module
 */
import type { NextFunction, Request, Response } from 'express';
import { corsNode, keepVaryThroughPrototype } from '../../request/node.js';
import { type CorsOptions, policySource } from '../_shared.js';

/** An Express middleware with the policy's lifecycle attached. */
export interface ExpressCorsMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** Resolves once the policy is loaded. */
  readonly ready: Promise<void>;
  /** Stops watching an allowlist file (no-op otherwise). */
  close(): Promise<void>;
}

/**
 * Preflights are answered here and never reach `next` (so routers and auth never see them). Other
 * requests get their CORS headers set on `res` before the app runs, so they are still there on
 * error responses: Express's final handler keeps headers it did not set itself.
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @throws CorsConfigError at once when the configuration is invalid.
 * @example
 * import express from 'express';
 * import { cors } from 'corsgate/express';
 * const app = express();
 * app.use(cors({ origins: ['https://app.example.com'], credentials: true, methods: ['PUT', 'DELETE'] }));
 * app.get('/api/items', (req, res) => res.json([]));
 * app.listen(3000);
 */
export function cors(options?: CorsOptions): ExpressCorsMiddleware {
  const source = policySource(options);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // Express's responses each have a hidden class of their own: see keepVaryThroughPrototype.
    const decision = corsNode(
      source.current(),
      source.block,
      req,
      res,
      source.report,
      keepVaryThroughPrototype,
    );
    if (decision !== undefined) next();
  };
  return Object.assign(middleware, { ready: source.ready, close: () => source.close() });
}
