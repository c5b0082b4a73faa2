/**
 * When corsgate answers a request itself instead of passing it on, and with which status: one rule
 * for every adapter and the gateway. Pure: no I/O, no Node imports.
 * @internal
 */
import type { Decision } from '../engine/decision.js';

/**
 * True for a state-changing request (any method but GET and HEAD) the decision refuses: a refused
 * origin's POST, PUT, DELETE… CORS alone only hides the response from the page, after the
 * application has acted on the request, so the gateway (always) and the middleware (with
 * `blockDisallowedUnsafeRequests`) answer it 403 without passing it on (docs/middleware.md).
 * Same-origin requests and requests without `Origin` are allowed decisions, never blocked.
 */
export function isBlocked(decision: Decision, method: string): boolean {
  return !decision.allowed && decision.kind !== 'preflight' && method !== 'GET' && method !== 'HEAD';
}

/**
 * True when the request is answered without the application: every preflight (R2), and with
 * `block` a request `isBlocked` refuses. The answer's status is `answerStatus(decision)`.
 */
export function answersItself(decision: Decision, method: string, block: boolean): boolean {
  if (decision.kind === 'preflight') return true;
  return block && isBlocked(decision, method);
}

/** The status of an answer given without the application: the preflight's, or 403 for a blocked request. */
export function answerStatus(decision: Decision): number {
  return decision.status ?? 403;
}
