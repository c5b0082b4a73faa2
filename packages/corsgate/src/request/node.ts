/**
 * node:http's side of the request path, shared by the node, express, koa and fastify adapters and
 * the gateway: request facts from an `IncomingMessage`, and a decision applied to a `ServerResponse`.
 * @internal
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Decision, RequestFacts } from '../engine/decision.js';
import type { Policy } from '../engine/policy.js';
import { appendVary } from '../engine/vary.js';
import { answerStatus, answersItself } from './answer.js';
import type { DeniedReporter } from './denied.js';
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

/** How a node middleware keeps its `Vary` tokens until the head is written (`keepVaryAtHead`). */
export type VaryKeeper = (res: ServerResponse, tokens: readonly string[], set: string | undefined) => void;

/**
 * Appends the decision's Vary tokens once more when the head is written, after the application ran.
 * An application that sets `Vary` itself (`res.setHeader`, Express's `res.set`, Koa's `ctx.set`,
 * Fastify's `reply.header`, a header object given to `writeHead`) replaces the value `applyToNode`
 * set, and a shared cache would then serve one origin's response to another (R24, docs/rules.md).
 * Every head goes through `writeHead`, an implicit one from `write()`/`end()` included; `appendVary`
 * never repeats a token, so a Vary that already names `Origin` is left as it is.
 *
 * This wraps `writeHead` on the response itself, for the first head only. It is the way for node's
 * own responses (node:http, Koa, Fastify, the gateway), which share one hidden class and so add the
 * property cheaply; Express's responses do not, see `keepVaryThroughPrototype`.
 */
export function keepVaryAtHead(
  res: ServerResponse,
  tokens: readonly string[],
  set: string | undefined,
): void {
  if (tokens.length === 0) return;
  const original = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, a?: unknown, b?: unknown) {
    res.writeHead = original;
    return writeHeadKeepingVary(this, original, tokens, set, status, a, b);
  } as ServerResponse['writeHead'];
}

/** Never a header's value: makes `writeHeadKeepingVary` append the tokens to the response's own `Vary`. */
const ALWAYS_APPEND = Symbol('always append');

/**
 * `keepVaryAtHead` for Fastify, whose headers reach the head as one object with lower-case names
 * (`writeHead(status, headers)`), none of them set on the raw response. The usual head costs one read
 * of that object's `vary` and a comparison with the value corsgate gave it (`set`); only a head whose
 * `vary` the application changed or removed, or one written without Fastify's object (a hijacked
 * reply), has the tokens appended, to the object's `Vary` and to the raw response's.
 */
export function keepVaryInHeadObject(
  res: ServerResponse,
  tokens: readonly string[],
  set: string | undefined,
): void {
  if (tokens.length === 0) return;
  const original = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, a?: unknown, b?: unknown) {
    res.writeHead = original;
    const headers = typeof a === 'string' ? b : a;
    if (typeof headers === 'object' && headers !== null && (headers as { vary?: unknown }).vary === set)
      return (original as (this: ServerResponse, ...args: unknown[]) => ServerResponse).call(
        this,
        status,
        a,
        b,
      );
    return writeHeadKeepingVary(this, original, tokens, ALWAYS_APPEND, status, a, b);
  } as ServerResponse['writeHead'];
}

/** The response waiting for its head on a connection, the tokens to keep and the `Vary` corsgate set. */
interface WaitingForHead {
  readonly res: ServerResponse;
  tokens: readonly string[];
  set: string | undefined;
}
/** The slot on a connection's socket for the response it is serving (`WaitingForHead`). */
const WAITING = Symbol('corsgate.waitingForHead');
type SocketWithSlot = { [WAITING]?: WaitingForHead | undefined };
/** Marks a response prototype whose `writeHead` already consults the socket's slot. */
const KEEPS_VARY = Symbol.for('corsgate.keepsVaryAtHead');

/**
 * `keepVaryAtHead` for frameworks that re-parent every response: Express gives each `res` its app's
 * prototype (`Object.setPrototypeOf`), which leaves each response with a hidden class of its own, so
 * adding any property to one builds a new class, and even a WeakMap entry for it is slow (2-5 µs and
 * about 0.6 µs a request; bench/middleware/RESULTS.md, "What was wrong on Express"). Instead the
 * framework's response prototype (the one right above node's `ServerResponse.prototype`, shared by
 * every app and sub-app of that Express copy, so re-parenting into a sub-app keeps it) gets, once, a
 * `writeHead` that finds the response in a slot on its socket, an ordinary object: node gives a
 * socket to one response at a time (a pipelined request's response gets it only once the one before
 * has finished), so the slot holds the response being served, and a response the slot does not name
 * passes straight through. A response without a socket yet (a pipelined one) or without such a
 * prototype gets the own-property wrapper.
 */
export function keepVaryThroughPrototype(
  res: ServerResponse,
  tokens: readonly string[],
  set: string | undefined,
): void {
  if (tokens.length === 0) return;
  const proto = frameworkResponsePrototypeOf(res);
  const socket = res.socket as SocketWithSlot | null;
  if (proto === undefined || socket === null) {
    keepVaryAtHead(res, tokens, set);
    return;
  }
  const earlier = socket[WAITING];
  if (earlier !== undefined && earlier.res === res) {
    // A second corsgate middleware on one response (an app-wide one and a router's): keep both's tokens.
    earlier.tokens = mergeTokens(earlier.tokens, tokens);
    earlier.set = set;
    return;
  }
  socket[WAITING] = { res, tokens, set };
}

/** The last response prototype seen and its framework prototype: one app serves most requests. */
let lastSeen: { readonly proto: object | null; readonly framework: object | undefined } = {
  proto: null,
  framework: undefined,
};

/** `frameworkResponsePrototype`, remembered for the response prototype seen last. */
function frameworkResponsePrototypeOf(res: ServerResponse): object | undefined {
  const proto: object | null = Object.getPrototypeOf(res);
  if (proto === lastSeen.proto) return lastSeen.framework;
  const framework = frameworkResponsePrototype(res);
  if (framework !== undefined && !Object.hasOwn(framework, KEEPS_VARY)) keepVaryOn(framework);
  lastSeen = { proto, framework };
  return framework;
}

/** The prototype right above `ServerResponse.prototype` in the response's chain, if it has one. */
function frameworkResponsePrototype(res: ServerResponse): object | undefined {
  let proto: object | null = Object.getPrototypeOf(res);
  if (proto === ServerResponse.prototype) return undefined;
  while (proto !== null) {
    const above: object | null = Object.getPrototypeOf(proto);
    if (above === ServerResponse.prototype) return proto;
    proto = above;
  }
  return undefined;
}

/**
 * Gives the framework's response prototype a `writeHead` that keeps the tokens of the response in its
 * socket's slot. The head write it passes on to is looked up at each call (the prototype's own one
 * if it had one, else the one it inherits), so an agent that instruments `ServerResponse.prototype`
 * later still sees every head.
 */
function keepVaryOn(proto: object): void {
  const own = Object.hasOwn(proto, 'writeHead') ? (proto as ServerResponse).writeHead : undefined;
  const parent = Object.getPrototypeOf(proto) as ServerResponse;
  const writeHead = function (this: ServerResponse, status: number, a?: unknown, b?: unknown) {
    const next = own ?? parent.writeHead;
    const socket = this.socket as SocketWithSlot | null;
    const waiting = socket?.[WAITING];
    // Emptied at the first head: a second head write fails as node's own does.
    // biome-ignore lint/complexity/noArguments: passes the call on exactly as the application made it
    if (waiting === undefined || waiting.res !== this) return Reflect.apply(next, this, arguments);
    socket![WAITING] = undefined;
    return writeHeadKeepingVary(this, next, waiting.tokens, waiting.set, status, a, b);
  };
  Object.defineProperty(proto, 'writeHead', { value: writeHead, writable: true, configurable: true });
  Object.defineProperty(proto, KEEPS_VARY, { value: true });
}

function mergeTokens(earlier: readonly string[], later: readonly string[]): readonly string[] {
  const merged = [...earlier];
  for (const token of later)
    if (!merged.some((t) => t.toLowerCase() === token.toLowerCase())) merged.push(token);
  return merged;
}

/**
 * The head write with the tokens kept. The usual head costs one header read and one comparison: a
 * `Vary` still holding the value corsgate set (`set`, undefined when it set none on `res`, as
 * Fastify's adapter, whose headers come as `writeHead`'s object) is not written again, and a header
 * object is copied only when its `Vary` lacks a token. Writing a header on `res` also turns Node's
 * head write onto its slower path, which merges the object into the response's headers one call at a time.
 */
function writeHeadKeepingVary(
  res: ServerResponse,
  original: ServerResponse['writeHead'],
  tokens: readonly string[],
  set: string | undefined | typeof ALWAYS_APPEND,
  status: number,
  a: unknown,
  b: unknown,
): ServerResponse {
  const writeHead = original as (this: ServerResponse, ...args: unknown[]) => ServerResponse;
  if (res.getHeader('vary') !== set) res.setHeader('Vary', nodeVary(res, tokens));
  if (typeof a === 'string') return writeHead.call(res, status, a, withVary(b, tokens));
  return writeHead.call(res, status, withVary(a, tokens));
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
  keepVary: VaryKeeper = keepVaryAtHead,
): Decision | undefined {
  const facts = nodeFacts(req);
  const decision = policy.evaluate(facts);
  if (report !== undefined && !decision.allowed) report(decision, facts, req.url);
  if (answersItself(decision, req.method ?? 'GET', block)) {
    answerNode(res, decision);
    return undefined;
  }
  keepVary(res, decision.vary, applyToNode(res, decision));
  return decision;
}
