/**
 * Request bodies read whole before they take an upstream connection, as nginx does with
 * `proxy_request_buffering` (docs/gateway.md "Slow clients"): a client that trickles a small body
 * holds only its own socket and the bytes it sent, never an upstream connection. Bodies larger
 * than `maxBody` are streamed (the 256 MB uploads stay streamed), and every buffered body together
 * holds at most `maxTotal` bytes: past that the request is refused (503, `CG_GATEWAY_BUFFERS_FULL`)
 * rather than streamed, since streaming it would give a slow sender the upstream connection this
 * module exists to keep from it, and only bytes actually received count, so the bound is only
 * reached by clients that really send that much.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

/** What reading a body came to. */
export type BodyOutcome =
  | { readonly kind: 'whole'; readonly body: Buffer; readonly release: () => void }
  | { readonly kind: 'stream'; readonly body: Readable }
  | { readonly kind: 'full' }
  | { readonly kind: 'gone' };

export class BodyBuffers {
  private held = 0;
  /** Bodies refused because `maxTotal` was reached. */
  refused = 0;

  /**
   * @param maxBody largest body read whole; 0 streams every body
   * @param maxTotal bytes all bodies being read or waiting for a connection may hold together
   */
  constructor(
    readonly maxBody: number,
    readonly maxTotal: number,
  ) {}

  /** Bytes held now by buffered bodies. */
  get bytesHeld(): number {
    return this.held;
  }

  /** Whether a body of `declared` length (undefined: not declared) is read whole first. */
  buffers(declared: number | undefined): boolean {
    return this.maxBody > 0 && (declared === undefined || declared <= this.maxBody);
  }

  /**
   * Reads `req`'s body; `done` is called once, unless the returned `stop` is called first (the
   * gateway answered for the request meanwhile). `stop` releases what was held.
   */
  read(req: IncomingMessage, done: (outcome: BodyOutcome) => void): () => void {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const release = (): void => {
      this.held -= size;
      size = 0;
    };
    const finish = (outcome: BodyOutcome | undefined): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (outcome === undefined || outcome.kind !== 'whole') release();
      if (outcome !== undefined) done(outcome);
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > this.maxBody) {
        finish({ kind: 'stream', body: streamRest(req, chunks, chunk) });
        return;
      }
      if (this.held + chunk.length > this.maxTotal) {
        this.refused++;
        finish({ kind: 'full' });
        return;
      }
      this.held += chunk.length;
      size += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      let released = false;
      finish({
        kind: 'whole',
        body,
        release: () => {
          if (released) return;
          released = true;
          release();
        },
      });
    };
    // `close` before `end`: the client went away mid-body.
    const onClose = (): void => finish({ kind: 'gone' });
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    return () => finish(undefined);
  }
}

/** The part read so far, then the rest of `req` as it comes, with back-pressure. */
function streamRest(req: IncomingMessage, chunks: readonly Buffer[], next: Buffer): Readable {
  const rest = new PassThrough();
  for (const c of chunks) rest.write(c);
  rest.write(next);
  req.pipe(rest);
  req.once('close', () => {
    if (!req.readableEnded) rest.destroy(new Error('client aborted'));
  });
  return rest;
}
