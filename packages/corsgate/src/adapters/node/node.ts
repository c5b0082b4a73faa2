/**
 * corsgate for plain node:http: `const handle = cors(options)`, then in the request listener
 * `if (handle(req, res)) return;`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { corsNode } from '../../request/node.js';
import { type CorsOptions, policySource } from '../_shared.js';

/**
 * `handle(req, res)`: true when it answered the request itself (a preflight, or a request refused by
 * `blockDisallowedUnsafeRequests`), false to let the application answer.
 */
export interface NodeCorsHandler {
  (req: IncomingMessage, res: ServerResponse): boolean;
  /** Resolves once the policy is loaded. */
  readonly ready: Promise<void>;
  /** Stops watching an allowlist file (no-op otherwise). */
  close(): Promise<void>;
}

/**
 * Builds the handler once; each call only evaluates the compiled policy.
 * Preflights (R2: OPTIONS with Origin and Access-Control-Request-Method) are answered at once with
 * their status (204/200 allowed, 403 refused) and the call returns true; so is a state-changing
 * request from a refused origin when `blockDisallowedUnsafeRequests` is on. Every other request gets
 * its CORS headers and Vary set on `res` and returns false; the application answers it.
 * @param options the engine's configuration, or `{ policy }` with a compiled policy; plus
 *   `blockDisallowedUnsafeRequests` (default false).
 * @throws CorsConfigError at once when the configuration is invalid.
 * @example
 * import { createServer } from 'node:http';
 * import { cors } from 'corsgate/node';
 * const handle = cors({ origins: ['https://app.example.com'], credentials: true });
 * createServer((req, res) => {
 *   if (handle(req, res)) return;
 *   res.end('hello');
 * }).listen(3000);
 */
export function cors(options?: CorsOptions): NodeCorsHandler {
  const source = policySource(options);
  const handle = (req: IncomingMessage, res: ServerResponse): boolean =>
    corsNode(source.current(), source.block, req, res, source.report) === undefined;
  return Object.assign(handle, { ready: source.ready, close: () => source.close() });
}
