/**
 * The bytes a client sends after its handshake, held until the upstream has answered 101
 * (docs/websocket.md "Before the 101"). Written at once, they would reach an upstream that does not
 * upgrade and keeps its connection as a second request, one no rule decided.
 */
import type { Duplex } from 'node:stream';

/**
 * How many bytes a client may send before the 101. RFC 6455 §4.1 has a client wait for the 101
 * before it sends anything; some send a first short message at once, which this leaves room for.
 * Every handshake waiting for its upstream holds up to this much, so it stays small.
 */
export const MAX_HELD_BYTES = 8 * 1024;

export class HeldBytes {
  private chunks: Buffer[] = [];
  private size = 0;
  /** False once released or given up: later bytes are read and dropped. */
  private holding = true;
  private onOverflow: (() => void) | undefined;
  /** The client passed MAX_HELD_BYTES. */
  private exceeded = false;
  /** The client half-closed while its bytes were held. */
  ended = false;

  constructor(
    private readonly client: Duplex,
    head: Buffer,
  ) {
    this.add(head);
  }

  /** More than MAX_HELD_BYTES already in the handshake's own packet. */
  get overflowed(): boolean {
    return this.exceeded;
  }

  /** Reads the client from now on; `onOverflow` runs once, when it passes the limit. */
  listen(onOverflow: () => void): void {
    this.onOverflow = onOverflow;
    this.client.on('data', this.add);
    this.client.on('end', this.end);
  }

  /** For the tunnel: the bytes held, in order. The client is paused until the tunnel reads it. */
  release(): Buffer {
    this.client.pause();
    this.stopListening();
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.drop();
    return bytes;
  }

  /** The handshake will not open: nothing held goes anywhere; what still arrives is read and dropped. */
  drop(): void {
    this.holding = false;
    this.chunks = [];
    this.size = 0;
  }

  private stopListening(): void {
    this.client.off('data', this.add);
    this.client.off('end', this.end);
  }

  private readonly add = (chunk: Buffer): void => {
    if (!this.holding || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= MAX_HELD_BYTES) return;
    this.exceeded = true;
    this.drop();
    this.onOverflow?.();
  };

  private readonly end = (): void => {
    this.ended = true;
  };
}
