/**
 * node:http translation shared by the node, express, koa and fastify adapters: request facts from
 * an `IncomingMessage`, and a decision applied to a `ServerResponse`.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision, RequestFacts } from '../engine/decision.js';
import { appendVary } from '../engine/vary.js';
import { answerStatus } from './_shared.js';

/**
 * The CORS facts of a node:http request. Node joins repeated `Origin` lines with ", ", which the
 * engine refuses as malformed (R3: browsers send exactly one), so the joined form fails closed.
 * The scheme is the socket's own (TLS or not); forwarded headers are not trusted here.
 */
export function nodeFacts(req: IncomingMessage): RequestFacts {
  const h = req.headers;
  return {
    method: req.method ?? 'GET',
    origin: h.origin,
    accessControlRequestMethod: h['access-control-request-method'],
    accessControlRequestHeaders: h['access-control-request-headers'],
    accessControlRequestPrivateNetwork: h['access-control-request-private-network'] as string | undefined,
    host: h.host,
    scheme: (req.socket as { encrypted?: boolean } | null)?.encrypted === true ? 'https' : 'http',
    secFetchSite: h['sec-fetch-site'] as string | undefined,
  };
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

/** Answers a preflight or a blocked request with the decision's status and headers, no body. */
export function answerNode(res: ServerResponse, decision: Decision): void {
  applyToNode(res, decision);
  res.statusCode = answerStatus(decision);
  res.end();
}
