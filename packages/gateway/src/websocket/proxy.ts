/**
 * WebSocket upgrades through the gateway (docs/websocket.md). A handshake (`Upgrade: websocket`)
 * is decided like a state-changing request, by the same decision as every HTTP request (route,
 * policy, the list in force): allowed origin, the gateway's own, or no `Origin` → forwarded to the
 * upstream; any other → 403, never reaching the upstream, recorded in /denied. Then:
 *   the handshake goes to the upstream over its own connection (upstream.ts), and every byte the
 *   client sends after it is held (held.ts) until the upstream answers. A 101 is decided again
 *   against the list in force then; allowed, it is relayed and the tunnel opens (tunnel.ts). Any
 *   other answer is relayed and both connections close (answer.ts). An open socket whose origin a
 *   new list version no longer allows is closed with a close frame 1008 within a second.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { Decision } from 'corsgate';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import type { AccessLog } from '../server/access-log.js';
import type { Metrics } from '../server/metrics.js';
import { answerAndClose, endAndLinger, relayAnswer, upgradeHead } from './answer.js';
import { maskedCloseFrame } from './frames.js';
import { HeldBytes, MAX_HELD_BYTES } from './held.js';
import { Tunnel, type TunnelOwner } from './tunnel.js';
import type { CloseReason, Handshake, UpgradeDecision } from './types.js';
import { type Forwarded, handshakeHeaders, openHandshake, UpstreamTimeoutError } from './upstream.js';

export type { UpgradeDecision } from './types.js';

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

/** What the upstream answered 101 with: node:http's parsed head, the socket, the bytes after the head. */
interface Upgraded {
  readonly res: IncomingMessage;
  readonly socket: Socket;
  readonly rest: Buffer;
}

export class WebSocketProxy implements TunnelOwner {
  private readonly open = new Set<Tunnel>();
  private readonly upstream: URL;
  private readonly forwarded: Forwarded;

  constructor(private readonly deps: WebSocketDeps) {
    this.upstream = new URL(deps.config.upstream);
    this.forwarded = {
      upstreamHost: this.upstream.host,
      scheme: deps.config.tls === undefined ? 'http' : 'https',
    };
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
      answerAndClose(socket, 400, 'only WebSocket upgrades are proxied');
      return;
    }
    const decided = this.deps.decide(req);
    if (typeof decided === 'string') {
      metrics.websocketHandshakes.labels('bad_request').inc();
      answerAndClose(socket, 400, decided);
      return;
    }
    metrics.countRequest(decided.decision.kind, decided.decision.allowed);
    const handshake: Handshake = { req, client: socket, decided, started };
    if (!this.refuses(handshake, decided)) this.forward(handshake, head);
  };

  /**
   * Answers 403 when `decided` refuses the handshake. Cross-Site WebSocket Hijacking: the browser
   * applies no CORS to a handshake, so a refused origin's handshake is stopped here, like a
   * state-changing request (docs/websocket.md "The rule"). Report-only (docs/console.md): recorded
   * as refused, forwarded all the same.
   */
  private refuses(handshake: Handshake, decided: UpgradeDecision): boolean {
    const { req } = handshake;
    const { decision } = decided;
    if (decision.allowed && req.method === 'GET') return false;
    this.deps.deny(req, decided.path, decision);
    if (this.deps.config.reportOnly) return false;
    this.deps.metrics.websocketHandshakes.labels('refused').inc();
    const outcome = { status: 403, started: handshake.started, upstreamMs: null };
    this.deps.access?.upgrade(req, decided.path, decision, outcome);
    answerAndClose(handshake.client, 403, `cross-origin WebSocket refused (${decision.reason})`);
    return true;
  }

  /** Sends the handshake to the upstream and holds the client's later bytes until it answers. */
  private forward(handshake: Handshake, head: Buffer): void {
    const held = new HeldBytes(handshake.client, head);
    if (held.overflowed) {
      this.tooEarly(handshake);
      return;
    }
    const upstream = this.send(handshake);
    if (upstream !== undefined) this.awaitAnswer(handshake, held, upstream);
  }

  /** The handshake on its way to the upstream; undefined once the client has been answered 400. */
  private send(handshake: Handshake): ClientRequest | undefined {
    const { config } = this.deps;
    try {
      const headers = handshakeHeaders(handshake.req, handshake.decided, this.forwarded);
      const path = config.upstreamPath + handshake.decided.target;
      return openHandshake(this.upstream, path, headers, config.upstreamTimeoutMs);
    } catch {
      // node:http refused a header value its own parser let through: fail closed.
      this.deps.metrics.websocketHandshakes.labels('bad_request').inc();
      answerAndClose(handshake.client, 400, 'a handshake header cannot be forwarded');
      return undefined;
    }
  }

  /**
   * The first outcome settles the handshake and the others are ignored: a 101, another answer, an
   * upstream error, too many held bytes, or the client gone.
   */
  private awaitAnswer(handshake: Handshake, held: HeldBytes, upstream: ClientRequest): void {
    let settled = false;
    const first =
      <A extends unknown[]>(outcome: (...args: A) => void) =>
      (...args: A): void => {
        if (settled) return;
        settled = true;
        outcome(...args);
      };
    upstream.on('upgrade', (res: IncomingMessage, socket: Socket, rest: Buffer) => {
      // node:http hands the socket over with the 101: once settled otherwise, it is closed here.
      if (settled) {
        socket.destroy();
        return;
      }
      settled = true;
      this.upgraded(handshake, held, { res, socket, rest });
    });
    upstream.on(
      'response',
      first((res: IncomingMessage) => this.answered(handshake, held, res)),
    );
    upstream.on(
      'error',
      first((error: Error) => this.failed(handshake, error)),
    );
    held.listen(
      first(() => {
        upstream.destroy();
        this.tooEarly(handshake);
      }),
    );
    handshake.client.on(
      'close',
      first(() => upstream.destroy()),
    );
  }

  /** The upstream answered 101: decided again, then relayed and the tunnel opened. */
  private upgraded(handshake: Handshake, held: HeldBytes, up: Upgraded): void {
    if (handshake.client.destroyed || !this.stillAllowed(handshake)) {
      held.drop();
      // The upstream has opened its side: told to close as a client tells it (RFC 6455 §7.1.2).
      endAndLinger(up.socket, maskedCloseFrame(1008, 'origin no longer allowed', randomBytes(4)));
      return;
    }
    const { metrics, config } = this.deps;
    metrics.websocketHandshakes.labels('forwarded').inc();
    metrics.websocketOpen.inc();
    handshake.client.write(upgradeHead(up.res));
    const upstreamMs = performance.now() - handshake.started;
    const tunnel = new Tunnel(handshake, handshake.client as Socket, up.socket, this, upstreamMs);
    this.open.add(tunnel);
    const clientEnded = held.ended;
    tunnel.start({
      early: held.release(),
      clientEnded,
      rest: up.rest,
      idleMs: config.websocketIdleTimeoutMs,
    });
  }

  /**
   * The handshake decided again when its 101 arrives, against the list in force then: a list change
   * applied while it waited must not let it open (docs/websocket.md "List changes"). A refusal is
   * answered 403, as at the handshake.
   */
  private stillAllowed(handshake: Handshake): boolean {
    if (this.deps.config.reportOnly) return true;
    const now = this.deps.decide(handshake.req);
    if (typeof now === 'string') {
      // The same target was accepted when the handshake arrived; should it not be now, fail closed.
      answerAndClose(handshake.client, 400, now);
      return false;
    }
    handshake.decided = now;
    return !this.refuses(handshake, now);
  }

  /** The upstream answered anything but 101: its answer goes to the client, then both close. */
  private answered(handshake: Handshake, held: HeldBytes, res: IncomingMessage): void {
    held.drop();
    const { req, decided, started } = handshake;
    this.deps.metrics.websocketHandshakes.labels('upstream_refused').inc();
    const upstreamMs = performance.now() - started;
    this.deps.access?.upgrade(req, decided.path, decided.decision, {
      status: res.statusCode ?? 0,
      started,
      upstreamMs,
    });
    relayAnswer(res, handshake.client);
  }

  /** No answer from the upstream: down (502) or past --upstream-timeout (504). */
  private failed(handshake: Handshake, error: Error): void {
    const timeout = error instanceof UpstreamTimeoutError;
    const { metrics, logger, access } = this.deps;
    metrics.websocketHandshakes.labels('upstream_error').inc();
    const code = (error as NodeJS.ErrnoException).code;
    logger.error(
      { event: 'websocket-upstream-error', code, message: error.message },
      'WebSocket upstream failed',
    );
    const status = timeout ? 504 : 502;
    const { req, decided, started } = handshake;
    access?.upgrade(req, decided.path, decided.decision, { status, started, upstreamMs: null });
    answerAndClose(handshake.client, status, timeout ? 'upstream timed out' : 'upstream unavailable');
  }

  /** More than MAX_HELD_BYTES before the 101 (held.ts): 400, and none of it forwarded. */
  private tooEarly(handshake: Handshake): void {
    this.deps.metrics.websocketHandshakes.labels('bad_request').inc();
    const message = `more than ${MAX_HELD_BYTES} bytes sent before the upgrade was answered`;
    answerAndClose(handshake.client, 400, message);
  }

  /**
   * After a new list version: every open socket whose handshake the new version would refuse is
   * closed with 1008 (policy violation), as "changes apply immediately" holds for sockets too.
   * Handshakes still waiting for their 101 are decided again when it arrives (stillAllowed).
   */
  revalidate(): number {
    if (this.deps.config.reportOnly) return 0;
    let closed = 0;
    for (const tunnel of this.open) {
      const decided = this.deps.decide(tunnel.handshake.req);
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
    const { req, decided, started } = tunnel.handshake;
    this.deps.access?.upgrade(req, decided.path, decided.decision, {
      status: 101,
      started,
      upstreamMs: tunnel.upstreamMs,
      websocket: { closed: reason, ...bytes },
    });
  }
}
