/**
 * The traffic listener: plain HTTP/1.1; HTTPS/1.1; or, with TLS and HTTP/2 on (the default with
 * --tls-cert/--tls-key), one TLS port offering `h2` and `http/1.1` by ALPN (docs/gateway.md
 * "HTTP/2"). Every kind calls the same request handler and the same WebSocket upgrade handler,
 * so a request gets the same decision whichever protocol it came over. What differs is how a
 * shutdown drains: HTTP/2 sessions get a GOAWAY and finish their streams; idle HTTP/1.1
 * connections are closed.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createSecureServer, type Http2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { GatewayConfig } from '../config/types.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface TrafficListener {
  /** The listening server (net.Server underneath every kind). */
  readonly server: Server;
  readonly protocols: readonly string[];
  /** Drain: finish what is in flight, take nothing new on idle connections. */
  closeIdle(): void;
  /** Past the drain deadline: close everything. */
  closeAll(): void;
}

export function createTrafficListener(
  config: GatewayConfig,
  handle: Handler,
  upgrade: Upgrade,
): TrafficListener {
  if (config.tls === undefined || !config.http2) {
    const server: Server =
      config.tls === undefined
        ? createHttpServer(handle)
        : (createHttpsServer(
            { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) },
            handle,
          ) as unknown as Server);
    server.keepAliveTimeout = 5_000;
    server.on('upgrade', upgrade);
    return {
      server,
      protocols: ['http/1.1'],
      closeIdle: () => server.closeIdleConnections(),
      closeAll: () => server.closeAllConnections(),
    };
  }
  return http2Listener(config.tls, handle, upgrade);
}

function http2Listener(
  tls: { cert: string; key: string },
  handle: Handler,
  upgrade: Upgrade,
): TrafficListener {
  const sessions = new Set<Http2Session>();
  /** HTTP/1.1 connections on the same port, with the number of requests in flight on each. */
  const h1 = new Map<Socket, number>();
  const server = createSecureServer(
    {
      cert: readFileSync(tls.cert),
      key: readFileSync(tls.key),
      allowHTTP1: true,
      settings: { maxConcurrentStreams: 256 },
    },
    (req, res) => {
      if (req.httpVersionMajor === 1) {
        const socket = req.socket as Socket;
        h1.set(socket, (h1.get(socket) ?? 0) + 1);
        res.once('close', () => {
          if (h1.has(socket)) h1.set(socket, h1.get(socket)! - 1);
        });
      }
      handle(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    },
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    h1.set(socket, 0);
    socket.once('close', () => h1.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A session that carries nothing for two minutes is closed, as an idle keep-alive would be.
    session.setTimeout(120_000, () => session.close());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A WebSocket leaves HTTP: it is no longer an HTTP/1.1 connection to drain.
    h1.delete(socket as Socket);
    upgrade(req, socket, head);
  });
  return {
    server: server as unknown as Server,
    protocols: ['h2', 'http/1.1'],
    closeIdle: () => {
      // GOAWAY: no new streams, the open ones finish.
      for (const session of sessions) if (!session.closed) session.close();
      for (const [socket, inFlight] of h1) if (inFlight === 0) socket.destroy();
    },
    closeAll: () => {
      for (const session of sessions) session.destroy();
      for (const socket of h1.keys()) socket.destroy();
    },
  };
}
