/**
 * node:http's side of the request path, shared by the node, express, koa and fastify adapters and
 * the gateway: request facts from an `IncomingMessage`, and a decision applied to a `ServerResponse`.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeniedReporter } from '../adapters/_denied.js';
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

/**
 * Sets the decision's CORS headers (replacing same-named ones) and appends its Vary tokens.
 * @returns the `Vary` value set, for `keepVaryAtHead`; undefined when the decision adds none
 */
export function applyToNode(res: ServerResponse, decision: Decision): string | undefined {
  const headers = decision.headers;
  for (const name in headers) res.setHeader(name, headers[name]!);
  if (decision.vary.length === 0) return undefined;
  const vary = nodeVary(res, decision.vary);
  res.setHeader('Vary', vary);
  return vary;
}

/**
 * Appends the decision's Vary tokens once more when the head is written, after the application ran.
 * An application that sets `Vary` itself (`res.setHeader`, Express's `res.set`, Koa's `ctx.set`,
 * Fastify's `reply.header`, a header object given to `writeHead`) replaces the value `applyToNode`
 * set, and a shared cache would then serve one origin's response to another (R24, docs/rules.md).
 * Every head goes through `writeHead`, an implicit one from `write()`/`end()` included; `appendVary`
 * never repeats a token, so a Vary that already names `Origin` is left as it is.
 *
 * This runs on every response, so the usual head costs one header read and one comparison: a `Vary`
 * still holding the value corsgate set (`set`, undefined when it set none on `res`, as Fastify's
 * adapter, whose headers come as `writeHead`'s object) is not written again, and a header object is
 * copied only when its `Vary` lacks a token. Writing a header on `res` also turns Node's head write
 * onto its slower path, which merges the object into the response's headers one call at a time.
 */
export function keepVaryAtHead(
  res: ServerResponse,
  tokens: readonly string[],
  set: string | undefined,
): void {
  if (tokens.length === 0) return;
  const original = res.writeHead;
  const writeHead = original as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  res.writeHead = function (this: ServerResponse, status: number, a?: unknown, b?: unknown) {
    res.writeHead = original;
    if (this.getHeader('vary') !== set) this.setHeader('Vary', nodeVary(this, tokens));
    if (typeof a === 'string') return writeHead.call(this, status, a, withVary(b, tokens));
    return writeHead.call(this, status, withVary(a, tokens));
  } as ServerResponse['writeHead'];
}

/**
 * The header argument of `writeHead` with the tokens appended to a `Vary` it carries (Node sets each
 * of its fields over the response's own): the argument itself when its `Vary` already has them, else
 * a copy, never changed in place: it may be the application's.
 */
function withVary(headers: unknown, tokens: readonly string[]): unknown {
  if (headers === null || typeof headers !== 'object') return headers;
  if (Array.isArray(headers)) return withVaryFlat(headers, tokens);
  const object = headers as Record<string, unknown>;
  for (const name in object) {
    if (name.length !== 4 || name.toLowerCase() !== 'vary' || object[name] === undefined) continue;
    const value = object[name];
    const current = Array.isArray(value) ? (value as string[]) : String(value);
    const appended = appendVary(current, tokens);
    return appended === value ? headers : { ...object, [name]: appended };
  }
  return headers;
}

/** `withVary` for Node's raw form: name, value, name, value… */
function withVaryFlat(headers: readonly unknown[], tokens: readonly string[]): unknown[] {
  const flat = headers.slice();
  for (let i = 0; i + 1 < flat.length; i += 2)
    if (String(flat[i]).toLowerCase() === 'vary') flat[i + 1] = appendVary(String(flat[i + 1]), tokens);
  return flat;
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
  report?: DeniedReporter,
): Decision | undefined {
  const facts = nodeFacts(req);
  const decision = policy.evaluate(facts);
  if (report !== undefined && !decision.allowed) report(decision, facts, req.url);
  if (answersItself(decision, req.method ?? 'GET', block)) {
    answerNode(res, decision);
    return undefined;
  }
  keepVaryAtHead(res, decision.vary, applyToNode(res, decision));
  return decision;
}
