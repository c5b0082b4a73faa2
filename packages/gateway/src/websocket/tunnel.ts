/**
 * One open, proxied WebSocket (docs/websocket.md "Through the gateway"): bytes both ways with
 * back-pressure and half-close; an error on one side closes the other; an idle socket is closed
 * (1001); the gateway's own close frames go between two of the upstream's frames, never inside one.
 */
import type { Socket } from 'node:net';
import { closeFrame, FrameCursor } from './frames.js';
import type { CloseReason, Handshake } from './types.js';

/** After the gateway's own close frame, how long the client gets to answer before both are cut. */
const CLOSE_GRACE_MS = 1_000;

/** Who keeps the open tunnels: told once when one closes. */
export interface TunnelOwner {
  closed(tunnel: Tunnel, reason: CloseReason): void;
}

/** What is already under way when the tunnel starts. */
export interface TunnelStart {
  /** The client's bytes held until the 101 (held.ts), for the upstream. */
  readonly early: Buffer;
  /** The client half-closed before the 101. */
  readonly clientEnded: boolean;
  /** The upstream's bytes right after its 101 head, for the client. */
  readonly rest: Buffer;
  /** --websocket-idle-timeout; 0 = never. */
  readonly idleMs: number;
}

export class Tunnel {
  private readonly cursor = new FrameCursor();
  /** Set once the gateway closes the socket itself: upstream data stops at the next frame boundary. */
  private closing: Buffer | undefined;
  private reason: CloseReason | undefined;
  /** The close frame has been written. */
  private sent = false;

  constructor(
    /** The handshake, for the access line at close. */
    readonly handshake: Handshake,
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly owner: TunnelOwner,
    /** How long the upstream took to answer 101. */
    readonly upstreamMs: number,
  ) {}

  start(at: TunnelStart): void {
    const { client, upstream } = this;
    upstream.on('data', (chunk: Buffer) => this.toClient(chunk));
    client.on('data', (chunk: Buffer) => this.toUpstream(chunk));
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
    if (at.idleMs > 0) {
      // Each side's timer counts reads and writes on that side; quiet both ways means idle.
      const idle = (): void => this.closeWith(1001, 'idle timeout', 'idle');
      client.setTimeout(at.idleMs, idle);
      upstream.setTimeout(at.idleMs, idle);
    }
    // held.ts paused the client when it released the held bytes; what it reads next comes after them.
    client.resume();
    if (at.early.length > 0) this.toUpstream(at.early);
    if (at.clientEnded) upstream.end();
    if (at.rest.length > 0) this.toClient(at.rest);
  }

  private toUpstream(chunk: Buffer): void {
    if (!this.upstream.write(chunk)) {
      this.client.pause();
      this.upstream.once('drain', () => this.client.resume());
    }
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
