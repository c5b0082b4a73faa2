/**
 * The handshake's way to the upstream: over a connection of its own (never the pool's, since it
 * becomes a WebSocket), sent and answered through node:http's client, whose parser frames the
 * upstream's answer: a 101 hands over the socket, anything else is an ordinary response.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { connectionTokens, isHopByHop } from '../forward/headers.js';
import type { UpgradeDecision } from './types.js';

/** The upstream's answer head may be no longer than this. */
const MAX_RESPONSE_HEAD = 16 * 1024;

/** The upstream did not answer the handshake within --upstream-timeout (answered 504). */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'UPSTREAM_TIMEOUT';

  constructor(readonly timeoutMs: number) {
    super(`upstream did not answer the WebSocket handshake within ${timeoutMs} ms`);
  }
}

/** What the gateway adds to the client's headers: where the handshake came from. */
export interface Forwarded {
  /** The upstream's `host[:port]`, sent as `Host`. */
  readonly upstreamHost: string;
  /** The scheme the client used to reach the gateway. */
  readonly scheme: 'http' | 'https';
}

/**
 * The handshake's header lines as the upstream receives them, as name/value pairs in order: `Host`
 * set to the upstream's, the client's end-to-end headers, then X-Forwarded-* as for requests
 * (docs/websocket.md "Through the gateway").
 */
export function handshakeHeaders(req: IncomingMessage, decided: UpgradeDecision, to: Forwarded): string[] {
  const raw = req.rawHeaders;
  const listed = connectionTokens(req.headers.connection);
  const out = ['Host', to.upstreamHost];
  let xff: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower, listed)) continue;
    if (lower === 'host' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
    if (lower === 'cookie' && decided.stripCookies) continue;
    if (lower === 'x-forwarded-for') xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
    else out.push(name, raw[i + 1]!);
  }
  const address = req.socket.remoteAddress ?? '';
  out.push('X-Forwarded-For', xff === undefined ? address : `${xff}, ${address}`);
  out.push('X-Forwarded-Proto', to.scheme);
  if (req.headers.host !== undefined) out.push('X-Forwarded-Host', req.headers.host);
  out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  return out;
}

function connectUpstream(upstream: URL): Socket {
  const port = Number(upstream.port || (upstream.protocol === 'https:' ? 443 : 80));
  const host = upstream.hostname.replace(/^\[|\]$/g, '');
  // Half-open allowed over TCP: once a WebSocket, one side's FIN is passed on while the other keeps
  // sending. SNI names a host, never an address (RFC 6066 §3); the certificate is checked either way.
  const socket =
    upstream.protocol === 'https:'
      ? connectTls({
          host,
          port,
          ALPNProtocols: ['http/1.1'],
          ...(isIP(host) === 0 ? { servername: host } : {}),
        })
      : connectTcp({ host, port, allowHalfOpen: true });
  socket.setNoDelay(true);
  return socket;
}

/**
 * Sends the handshake; the request emits `upgrade` (101), `response` (any other answer) or
 * `error`: an UpstreamTimeoutError when no answer has ended within `timeoutMs`. Throws when node
 * refuses a header (the caller answers 400).
 */
export function openHandshake(
  upstream: URL,
  path: string,
  headers: string[],
  timeoutMs: number,
): ClientRequest {
  const handshake = request({
    method: 'GET',
    path,
    headers,
    setHost: false,
    maxHeaderSize: MAX_RESPONSE_HEAD,
    createConnection: () => connectUpstream(upstream),
  });
  // A deadline for the whole answer, not an idle timer: an upstream trickling bytes cannot hold it open.
  const timer = setTimeout(() => handshake.destroy(new UpstreamTimeoutError(timeoutMs)), timeoutMs);
  timer.unref();
  handshake.once('upgrade', () => clearTimeout(timer));
  handshake.once('close', () => clearTimeout(timer));
  handshake.end();
  return handshake;
}
