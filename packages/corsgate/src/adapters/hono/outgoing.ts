/**
 * The `@hono/node-server` path of the hono adapter: the CORS headers are merged into the header
 * object the server hands to `writeHead`, so the handler's Response is never touched.
 * @internal
 */
import type { Decision } from '../../engine/decision.js';
import { appendVary } from '../../engine/vary.js';

/** The part of a Node `ServerResponse` (or `Http2ServerResponse`) this path uses. */
export interface Outgoing {
  writeHead(status: number, ...rest: unknown[]): unknown;
  getHeader(name: string): unknown;
  readonly headersSent: boolean;
}

type HeaderValue = string | number | readonly string[];
type HeaderObject = Record<string, HeaderValue | undefined>;

/**
 * The Node response `@hono/node-server` passes as `c.env.outgoing`, when it has not written its
 * head yet. Bun, Deno and workers have no such binding and take the generic path.
 */
export function nodeOutgoing(env: unknown): Outgoing | undefined {
  if (env === null || typeof env !== 'object') return undefined;
  const outgoing = (env as { outgoing?: unknown }).outgoing as Partial<Outgoing> | null | undefined;
  if (
    outgoing == null ||
    typeof outgoing.writeHead !== 'function' ||
    typeof outgoing.getHeader !== 'function' ||
    outgoing.headersSent !== false
  )
    return undefined;
  return outgoing as Outgoing;
}

/**
 * Makes the next `writeHead` on `outgoing` carry the decision's headers. `@hono/node-server` writes
 * a lightweight Response from its cached body and plain header object; reading `Response.headers`
 * instead would build a `Headers` object that it must convert back on write (the cost measured in
 * bench/middleware/RESULTS.md). Every response goes through `writeHead`: the handler's, Hono's
 * `onError` and `notFound` answers, node-server's own 500, and an implicit head from `end()`.
 * The decision's headers replace same-named ones (the engine's contract) and its Vary tokens are
 * appended to the response's Vary (R24: append, never overwrite).
 */
export function applyAtWriteHead(outgoing: Outgoing, decision: Decision): void {
  if (decision.vary.length === 0 && isEmpty(decision.headers)) return;
  const writeHead = outgoing.writeHead;
  let done = false;
  // writeHead(status, headers?) or writeHead(status, statusMessage, headers?); once only.
  outgoing.writeHead = function (this: Outgoing, status: number, a?: unknown, b?: unknown): unknown {
    if (done) return writeHead.call(this, status, a, b);
    done = true;
    if (typeof a === 'string') return writeHead.call(this, status, a, withCors(b, decision, this));
    return writeHead.call(this, status, withCors(a, decision, this));
  };
}

/**
 * A new header object: the response's headers minus those the decision sets, plus the decision's.
 * The response's object may be the application's own (node-server passes it through), so it is
 * copied, never changed.
 */
function withCors(given: unknown, decision: Decision, outgoing: Outgoing): HeaderObject {
  const cors = decision.headers;
  const out: HeaderObject = {};
  let vary: string | undefined;
  const take = (name: string, value: HeaderValue | undefined): void => {
    if (value === undefined) return;
    const lower = name.toLowerCase();
    if (lower === 'vary') {
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      vary = vary === undefined ? text : `${vary}, ${text}`;
      return;
    }
    if (lower.startsWith('access-control-') && setsHeader(cors, lower)) return;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else out[name] = [...toList(existing), ...toList(value)];
  };
  if (Array.isArray(given)) {
    // Raw form: [name, value, name, value, ...] or [[name, value], ...].
    if (Array.isArray(given[0])) for (const pair of given as [string, string][]) take(pair[0], pair[1]);
    else for (let i = 0; i + 1 < given.length; i += 2) take(String(given[i]), given[i + 1] as string);
  } else if (given !== null && typeof given === 'object') {
    const object = given as HeaderObject;
    for (const name in object) take(name, object[name]);
  }
  for (const name in cors) out[name] = cors[name]!;
  if (decision.vary.length > 0) {
    if (vary === undefined) {
      // Headers the application set with setHeader() stay on the response; writeHead would let
      // ours replace their Vary, so theirs is merged here.
      const set = outgoing.getHeader('vary');
      if (set !== undefined) vary = Array.isArray(set) ? set.join(', ') : String(set);
    }
    out['Vary'] = appendVary(vary, decision.vary)!;
  } else if (vary !== undefined) out['Vary'] = vary;
  return out;
}

function setsHeader(cors: Readonly<Record<string, string>>, lower: string): boolean {
  for (const name in cors) if (name.toLowerCase() === lower) return true;
  return false;
}

function toList(value: HeaderValue): string[] {
  return Array.isArray(value) ? [...value] : [String(value)];
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
