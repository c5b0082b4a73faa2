/**
 * The little of the WebSocket framing (RFC 6455 §5.2) the gateway needs: it relays frames as bytes
 * and never decodes messages, but to close a socket itself (policy 1008, idle 1001) it must put its
 * close frame between two frames of the upstream's, never inside one.
 */

/** A close frame (RFC 6455 §5.5.1): FIN + opcode 8, the code and a short UTF-8 reason, unmasked (server → client). */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/**
 * The same close frame as a client sends it (gateway → upstream): masked with `mask`, 4 bytes
 * (RFC 6455 §5.3: every client frame is masked, and a server closes on an unmasked one).
 */
export function maskedCloseFrame(code: number, reason: string, mask: Buffer): Buffer {
  const plain = closeFrame(code, reason);
  const payload = plain.subarray(2);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = plain[0]!;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2, 0, 4);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

/**
 * Follows the frame boundaries of one direction of a WebSocket stream, header by header; payload
 * bytes are skipped in bulk, never copied.
 */
export class FrameCursor {
  /** Payload bytes left in the frame under way. */
  private remaining = 0;
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  /** Header bytes this frame has: 2 until the second byte says more. */
  private headerNeed = 2;

  get atBoundary(): boolean {
    return this.remaining === 0 && this.headerLength === 0;
  }

  /**
   * Consumes `chunk`; with `stopAtBoundary`, stops at the first frame boundary in it.
   * @returns the number of bytes consumed
   */
  feed(chunk: Buffer, stopAtBoundary: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (stopAtBoundary && this.atBoundary) return i;
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      this.header[this.headerLength++] = chunk[i++]!;
      if (this.headerLength === 2) {
        const len7 = this.header[1]! & 0x7f;
        const mask = (this.header[1]! & 0x80) !== 0 ? 4 : 0;
        this.headerNeed = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
      }
      if (this.headerLength >= 2 && this.headerLength === this.headerNeed) this.endHeader();
    }
    return i;
  }

  private endHeader(): void {
    const len7 = this.header[1]! & 0x7f;
    if (len7 === 126) this.remaining = this.header.readUInt16BE(2);
    else if (len7 === 127)
      this.remaining = this.header.readUInt32BE(2) * 2 ** 32 + this.header.readUInt32BE(6);
    else this.remaining = len7;
    this.headerLength = 0;
    this.headerNeed = 2;
  }
}
