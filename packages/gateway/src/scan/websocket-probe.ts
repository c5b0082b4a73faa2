/**
 * The WebSocket probe of `corsgate scan` (docs/cli.md "What it finds", `websocket-any-origin`):
 * one handshake from an origin no allowlist contains. CORS does not cover WebSockets; the server
 * must check `Origin` itself (RFC 6455 §10.2). The socket is closed as soon as the answer is in:
 * no frame is ever sent.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeaderPair } from '../browser-model/index.js';
import { type ConnectOptions, fixedLookup } from '../probe/http.js';
import type { ExchangeTrace } from '../probe/trace.js';
import type { ScanContext } from './context.js';
import { REFLECTION_PROBE } from './probes.js';

export async function webSocketProbe(ctx: ScanContext): Promise<void> {
  const refused = await ctx.prober.charge();
  if (refused !== undefined) return;
  const trace = await handshake(ctx.prober.url, REFLECTION_PROBE, ctx.prober.timeoutMs, ctx.prober.connect);
  if (trace.response?.status !== 101) return;
  ctx.add(
    'websocket-any-origin',
    true,
    `a WebSocket handshake from ${REFLECTION_PROBE} was accepted (101 Switching Protocols); browsers send cookies with it`,
    trace,
  );
}

/** One handshake as a browser opens it (RFC 6455 §4.1); the trace has no response when none came. */
export function handshake(
  url: URL,
  origin: string,
  deadlineMs: number,
  connect: ConnectOptions,
): Promise<ExchangeTrace> {
  const headers: HeaderPair[] = [
    ['Host', url.host],
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Key', randomBytes(16).toString('base64')],
    ['Origin', origin],
  ];
  const request = { method: 'GET', url: url.href, headers };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const done = (res?: IncomingMessage): void => {
      clearTimeout(timer);
      if (res === undefined) {
        resolve({ request });
        return;
      }
      const pairs: HeaderPair[] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
        pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
      resolve({ request, response: { status: res.statusCode ?? 0, headers: pairs } });
    };
    const req = send(url, {
      method: 'GET',
      headers: headers.flat(),
      agent: false,
      ...(connect.ca === undefined ? {} : { ca: connect.ca }),
      ...(connect.address === undefined ? {} : { lookup: fixedLookup(connect.address) as never }),
    });
    const timer = setTimeout(() => {
      req.destroy();
      done();
    }, deadlineMs);
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      done(res);
    });
    req.on('response', (res) => {
      res.resume();
      res.destroy();
      done(res);
    });
    req.on('error', () => done());
    req.end();
  });
}
