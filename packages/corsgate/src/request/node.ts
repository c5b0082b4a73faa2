/**
 * node:http's side of the request path, shared by the node, express, koa and fastify adapters and
 * the gateway: request facts from an `IncomingMessage`, and a decision applied to a `ServerResponse`.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision, RequestFacts } from '../engine/decision.js';
import type { Policy } from '../engine/policy.js';
import { appendVary } from '../engine/vary.js';
import { answerStatus, answersItself } from './answer.js';
import { type HeaderView, requestFacts } from './facts.js';

/**
 * The CORS facts of a node:http request (`requestFacts`). `req.headers` is the view as it is: Node
 * joins repeated lines with ", " (set-cookie aside, which CORS never reads). The scheme is the
 * socket's own (TLS or not); forwarded headers are not trusted here.
 */
export function nodeFacts(req: IncomingMessage): RequestFacts {
  const scheme = (req.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http';
  return requestFacts(req.method ?? 'GET', scheme, req.headers as HeaderView);
}

/** The `Vary` value after appending the decision's tokens to what the response already has. */
export function nodeVary(res: ServerResponse, tokens: readonly string[]): string {
  const existing = res.getHeader('vary');
  return appendVary(typeof existing === 'number' ? String(existing) : existing, tokens)!;
}

/** Sets the decision's CORS headers (replacing same-named ones) and appends its Vary tokens. */
export function applyToNode(res: ServerResponse, decision: Decision): void {
  const headers = decision.headers;
  for (const name in headers) res.setHeader(name, headers[name]!);
  if (decision.vary.length > 0) res.setHeader('Vary', nodeVary(res, decision.vary));
}

/**
 * Answers a preflight (allowed or refused) or a blocked request with the decision's status and
 * headers and no body: the one preflight reply of the node adapters and the gateway. Headers set
 * on `res` before (the gateway's `Connection: close` while draining) are kept.
 */
export function answerNode(res: ServerResponse, decision: Decision): void {
  applyToNode(res, decision);
  res.statusCode = answerStatus(decision);
  res.end();
}

/**
 * The node middleware's whole request path: decides the request with the policy in force, answers
 * it (a preflight, or with `block` a blocked request) and returns undefined, or sets its CORS
 * headers on `res` and returns the decision, for the application to answer.
 */
export function corsNode(
  policy: Policy,
  block: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Decision | undefined {
  const decision = policy.evaluate(nodeFacts(req));
  if (answersItself(decision, req.method ?? 'GET', block)) {
    answerNode(res, decision);
    return undefined;
  }
  applyToNode(res, decision);
  return decision;
}
