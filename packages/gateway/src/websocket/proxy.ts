/**
 * WebSocket upgrades through the gateway (docs/websocket.md). A handshake (`Upgrade: websocket`)
 * is decided like a state-changing request, by the same decision as every HTTP request (route,
 * policy, the list in force): allowed origin, the gateway's own, or no `Origin` → forwarded to the
 * upstream; any other → 403, never reaching the upstream, recorded in /denied. Then:
 *   the handshake goes to the upstream over its own connection, the upstream's answer is relayed
 *   (101, or its refusal), and the bytes flow both ways with back-pressure and half-close; an error
 *   on one side closes the other; an idle socket is closed (1001); an open socket whose origin a
 *   new list version no longer allows is closed with a close frame 1008 within a second.
 */
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import type { Decision } from 'corsgate';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { connectionTokens, isHopByHop } from '../forward/headers.js';
import type { AccessLog } from '../server/access-log.js';
import type { Metrics } from '../server/metrics.js';
import { closeFrame, FrameCursor } from './frames.js';

/** The HTTP path's decision for a request, as the upgrade needs it. */
export interface UpgradeDecision {
  /** The normalised target forwarded to the upstream (path and query). */
  readonly target: string;
  readonly path: string;
  readonly decision: Decision;
  readonly stripCookies: boolean;
}

export interface WebSocketDeps {
  readonly config: GatewayConfig;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Decides `req` exactly as an HTTP request; a string is a refusal of the target (400). */
  decide(req: IncomingMessage): UpgradeDecision | string;
  /** Records a refusal in /denied, the metrics and the rate-limited log. */
  deny(req: IncomingMessage, path: string, decision: Decision): void;
  /** With --access-log: one line a handshake. */
  readonly access?: AccessLog | undefined;
}

/** The upstream's answer head may be no longer than this. */
const MAX_RESPONSE_HEAD = 16 * 1024;
/** After the gateway's own close frame, how long the client gets to answer before both are cut. */
const CLOSE_GRACE_MS = 1_000;

type CloseReason = 'client' | 'upstream' | 'policy' | 'idle' | 'error' | 'shutdown';

/** One open, proxied WebSocket. */
class Tunnel {
  private readonly cursor = new FrameCursor();
  /** Set once the gateway closes the socket itself: upstream data stops at the next frame boundary. */
  private closing: Buffer | undefined;
  private reason: CloseReason | undefined;
  /** The close frame has been written. */
  private sent = false;

  constructor(
    readonly req: IncomingMessage,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly owner: WebSocketProxy,
    /** For the access line at close: the handshake's decision, when it began, the upstream's time. */
    readonly decided: UpgradeDecision,
    readonly started: number,
    readonly upstreamMs: number,
  ) {}

  start(rest: Buffer, idleMs: number): void {
    const { client, upstream } = this;
    upstream.on('data', (chunk: Buffer) => this.toClient(chunk));
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    // Half-close: one side's FIN is passed on; the other direction keeps flowing until it ends too.
    client.on('end', () => upstream.end());
    upstream.on('end', () => {
      this.reason ??= 'upstream';
      client.end();
    });
    client.on('error', () => this.fail('client'));
    upstream.on('error', () => this.fail('upstream'));
    client.on('close', () => this.closed());
    upstream.on('close', () => client.destroy());
    if (idleMs > 0) {
      // Each side's timer counts reads and writes on that side; quiet both ways means idle.
      const idle = (): void => this.closeWith(1001, 'idle timeout', 'idle');
      client.setTimeout(idleMs, idle);
      upstream.setTimeout(idleMs, idle);
    }
    if (rest.length > 0) this.toClient(rest);
  }

  private toClient(chunk: Buffer): void {
    let data = chunk;
    if (this.closing !== undefined) {
      // Finish the upstream's frame under way, then the close frame, then nothing more.
      const n = this.cursor.feed(chunk, true);
      data = chunk.subarray(0, n);
      if (data.length > 0 && !this.sent) this.client.write(data);
      if (this.cursor.atBoundary) this.sendClose();
      return;
    }
    this.cursor.feed(chunk, false);
    if (!this.client.write(data)) {
      this.upstream.pause();
      this.client.once('drain', () => this.upstream.resume());
    }
  }

  /** Closes from the gateway: a close frame to the client at the next frame boundary. */
  closeWith(code: number, text: string, reason: CloseReason): void {
    if (this.closing !== undefined) return;
    this.reason = reason;
    this.closing = closeFrame(code, text);
    if (this.cursor.atBoundary) this.sendClose();
    else this.upstream.resume();
    // Whatever the peers do, both connections are gone within the grace period.
    setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, CLOSE_GRACE_MS).unref();
  }

  private sendClose(): void {
    if (this.sent || this.closing === undefined) return;
    this.sent = true;
    this.upstream.pause();
    // The client's answering close frame still goes to the upstream, which so learns the code.
    this.client.end(this.closing);
  }

  private fail(side: 'client' | 'upstream'): void {
    this.reason ??= 'error';
    (side === 'client' ? this.upstream : this.client).destroy();
  }

  private closed(): void {
    this.upstream.destroy();
    this.owner.closed(this, this.reason ?? 'client');
  }

  bytes(): { toUpstream: number; toClient: number } {
    return { toUpstream: this.upstream.bytesWritten, toClient: this.upstream.bytesRead };
  }
}

export class WebSocketProxy {
  private readonly open = new Set<Tunnel>();
  private readonly upstream: URL;

  constructor(private readonly deps: WebSocketDeps) {
    this.upstream = new URL(deps.config.upstream);
  }

  get size(): number {
    return this.open.size;
  }

  /** node:http's `upgrade` event. */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const started = performance.now();
    socket.on('error', () => socket.destroy());
    const { metrics } = this.deps;
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      metrics.websocketHandshakes.labels('unsupported').inc();
      respond(socket, 400, 'only WebSocket upgrades are proxied');
      return;
    }
    const decided = this.deps.decide(req);
    if (typeof decided === 'string') {
      metrics.websocketHandshakes.labels('bad_request').inc();
      respond(socket, 400, decided);
      return;
    }
    const { decision } = decided;
    metrics.countRequest(decision.kind, decision.allowed);
    if (!decision.allowed || req.method !== 'GET') {
      // Cross-Site WebSocket Hijacking: the browser applies no CORS to a handshake, so a refused
      // origin's handshake is stopped here, like a state-changing request (docs/websocket.md).
      this.deps.deny(req, decided.path, decision);
      // Report-only (docs/console.md): recorded as refused, forwarded all the same.
      if (!this.deps.config.reportOnly) {
        metrics.websocketHandshakes.labels('refused').inc();
        this.deps.access?.upgrade(req, decided.path, decision, { status: 403, started, upstreamMs: null });
        respond(socket, 403, `cross-origin WebSocket refused (${decision.reason})`);
        return;
      }
    }
    this.forward(req, socket, head, decided, started);
  };

  private forward(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    decided: UpgradeDecision,
    started: number,
  ): void {
    const { config, metrics, logger, access } = this.deps;
    const u = this.upstream;
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const upstream =
      u.protocol === 'https:'
        ? connectTls({ host, port, servername: host, ALPNProtocols: ['http/1.1'] })
        : connectTcp({ host, port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    const timer = setTimeout(
      () => upstream.destroy(new Error('upstream timed out')),
      config.upstreamTimeoutMs,
    ).unref();
    let buffered: Buffer = Buffer.alloc(0);
    const onHead = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_RESPONSE_HEAD) upstream.destroy(new Error('response head too large'));
        return;
      }
      clearTimeout(timer);
      upstream.off('data', onHead);
      upstream.off('error', onError);
      const status = Number(buffered.subarray(9, 12).toString('latin1'));
      const upstreamMs = performance.now() - started;
      const headBytes = buffered.subarray(0, end + 4);
      const rest = buffered.subarray(end + 4);
      if (status !== 101) {
        // The upstream refused the upgrade: its answer goes to the client as it is.
        metrics.websocketHandshakes.labels('upstream_refused').inc();
        access?.upgrade(req, decided.path, decided.decision, { status, started, upstreamMs });
        client.write(headBytes);
        if (rest.length > 0) client.write(rest);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.setTimeout(config.upstreamTimeoutMs, () => upstream.destroy());
        return;
      }
      metrics.websocketHandshakes.labels('forwarded').inc();
      metrics.websocketOpen.inc();
      client.write(headBytes);
      const tunnel = new Tunnel(req, client as Socket, upstream, this, decided, started, upstreamMs);
      this.open.add(tunnel);
      tunnel.start(rest, config.websocketIdleTimeoutMs);
    };
    const onError = (error: Error): void => {
      clearTimeout(timer);
      const timeout = error.message === 'upstream timed out';
      metrics.websocketHandshakes.labels('upstream_error').inc();
      logger.error(
        {
          event: 'websocket-upstream-error',
          code: (error as NodeJS.ErrnoException).code,
          message: error.message,
        },
        'WebSocket upstream failed',
      );
      const status = timeout ? 504 : 502;
      access?.upgrade(req, decided.path, decided.decision, { status, started, upstreamMs: null });
      respond(client, status, timeout ? 'upstream timed out' : 'upstream unavailable');
    };
    upstream.on('data', onHead);
    upstream.on('error', onError);
    // The client's bytes after the handshake (rare) wait in `head` until the upstream answers.
    client.on('close', () => {
      if (buffered.indexOf('\r\n\r\n') < 0) upstream.destroy();
    });
    upstream.write(this.handshake(req, decided));
    if (head.length > 0) upstream.write(head);
  }

  /** The handshake as the upstream receives it: the client's end-to-end headers, Host and X-Forwarded-*. */
  private handshake(req: IncomingMessage, decided: UpgradeDecision): string {
    const raw = req.rawHeaders;
    const listed = connectionTokens(req.headers.connection);
    let xff: string | undefined;
    let out = `GET ${this.deps.config.upstreamPath}${decided.target} HTTP/1.1\r\nHost: ${this.upstream.host}\r\n`;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const lower = name.toLowerCase();
      if (isHopByHop(lower, listed)) continue;
      if (lower === 'host' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') continue;
      if (lower === 'cookie' && decided.stripCookies) continue;
      if (lower === 'x-forwarded-for') {
        xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
        continue;
      }
      out += `${name}: ${raw[i + 1]!}\r\n`;
    }
    const address = req.socket.remoteAddress ?? '';
    const scheme = this.deps.config.tls === undefined ? 'http' : 'https';
    out += `X-Forwarded-For: ${xff === undefined ? address : `${xff}, ${address}`}\r\n`;
    out += `X-Forwarded-Proto: ${scheme}\r\n`;
    if (req.headers.host !== undefined) out += `X-Forwarded-Host: ${req.headers.host}\r\n`;
    return `${out}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`;
  }

  /**
   * After a new list version: every open socket whose handshake the new version would refuse is
   * closed with 1008 (policy violation), as "changes apply immediately" holds for sockets too.
   */
  revalidate(): number {
    if (this.deps.config.reportOnly) return 0;
    let closed = 0;
    for (const tunnel of this.open) {
      const decided = this.deps.decide(tunnel.req);
      if (typeof decided !== 'string' && decided.decision.allowed) continue;
      tunnel.closeWith(1008, 'origin no longer allowed', 'policy');
      closed++;
    }
    if (closed > 0)
      this.deps.logger.warn(
        { event: 'websocket-revoked', closed },
        'closed WebSockets whose origin is no longer allowed',
      );
    return closed;
  }

  /** Shutdown: every open socket gets a close frame 1001 (going away). */
  closeAll(): void {
    for (const tunnel of this.open) tunnel.closeWith(1001, 'gateway shutting down', 'shutdown');
  }

  closed(tunnel: Tunnel, reason: CloseReason): void {
    if (!this.open.delete(tunnel)) return;
    const { metrics } = this.deps;
    metrics.websocketOpen.dec();
    metrics.websocketClosed.labels(reason).inc();
    const bytes = tunnel.bytes();
    metrics.websocketBytes.labels('to_upstream').inc(bytes.toUpstream);
    metrics.websocketBytes.labels('to_client').inc(bytes.toClient);
    this.deps.access?.upgrade(tunnel.req, tunnel.decided.path, tunnel.decided.decision, {
      status: 101,
      started: tunnel.started,
      upstreamMs: tunnel.upstreamMs,
      websocket: { closed: reason, ...bytes },
    });
  }
}

/** A small plain answer on a socket that never became a WebSocket, then close. */
function respond(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = `${JSON.stringify({ error: message })}\n`;
  const reason =
    status === 400
      ? 'Bad Request'
      : status === 403
        ? 'Forbidden'
        : status === 502
          ? 'Bad Gateway'
          : 'Gateway Timeout';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
