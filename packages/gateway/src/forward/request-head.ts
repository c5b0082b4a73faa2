/**
 * The request head sent upstream: the client's header lines minus hop-by-hop ones
 * (RFC 9110 §7.6.1), HTTP/2 pseudo-headers, and the forwarding headers a client could forge, then
 * `X-Forwarded-For` (appended to), `-Proto` and `-Host` as the gateway saw them.
 */
import type { IncomingMessage } from 'node:http';
import { connectionTokens, isHopByHop } from './headers.js';

const KEEP = 0;
const DROP = 1;
const FORWARDED_FOR = 2;
const COOKIE = 3;
type NameAction = typeof KEEP | typeof DROP | typeof FORWARDED_FOR | typeof COOKIE;

/**
 * What to do with each header name as the client spelled it, so the usual names are looked up
 * once instead of lower-cased on every request (bench/gateway/RESULTS.md, "Where the time goes").
 * Bounded: a client inventing names gets them lower-cased each time, not remembered.
 */
const ACTIONS = new Map<string, NameAction>();
const ACTIONS_MAX = 512;

function classify(lower: string): NameAction {
  // HTTP/2 pseudo-headers (`:path`, `:authority`, …) describe this hop; the upstream is HTTP/1.1.
  if (isHopByHop(lower, undefined) || lower.charCodeAt(0) === 0x3a) return DROP;
  switch (lower) {
    case 'host':
    case 'x-forwarded-proto':
    case 'x-forwarded-host':
    // Node answers Expect: 100-continue itself; undici does not forward it.
    case 'expect':
      return DROP;
    case 'x-forwarded-for':
      return FORWARDED_FOR;
    case 'cookie':
      return COOKIE;
    default:
      return KEEP;
  }
}

function actionOf(name: string): NameAction {
  const known = ACTIONS.get(name);
  if (known !== undefined) return known;
  const action = classify(name.toLowerCase());
  if (ACTIONS.size < ACTIONS_MAX) ACTIONS.set(name, action);
  return action;
}

/**
 * The header list for undici (`[name, value, …]`).
 * @param scheme the scheme the client used (`X-Forwarded-Proto`)
 * @param stripCookies the route removes `Cookie`
 */
export function upstreamHeaders(req: IncomingMessage, scheme: string, stripCookies: boolean): string[] {
  const raw = req.rawHeaders;
  // Names the client's Connection header lists are hop-by-hop too (rare: `keep-alive` and `close` list none).
  const listed = connectionTokens(req.headers.connection);
  const headers: string[] = [];
  let xff: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const action = actionOf(name);
    if (action === DROP || listed?.has(name.toLowerCase()) === true) continue;
    if (action === FORWARDED_FOR) {
      xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    if (action === COOKIE && stripCookies) continue;
    headers.push(name, raw[i + 1]!);
  }
  const client = req.socket.remoteAddress ?? '';
  headers.push('X-Forwarded-For', xff === undefined ? client : `${xff}, ${client}`);
  headers.push('X-Forwarded-Proto', scheme);
  const host = req.headers.host;
  if (host !== undefined) headers.push('X-Forwarded-Host', host);
  return headers;
}

/** Whether the request carries a body (a `Content-Length: 0` one does not). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  // HTTP/2 frames a body without either header: none when the stream ended with its headers.
  if (req.httpVersionMajor === 2)
    return (req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders !== true;
  return req.headers['transfer-encoding'] !== undefined;
}
