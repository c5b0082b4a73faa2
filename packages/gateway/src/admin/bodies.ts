/**
 * Request bodies on the admin listener (docs/console.md "Security"): before the token, a body is
 * small (the sign-in form); the large limit of a whole list applies only to a request that
 * carries a valid token. The bodies being read at once are bounded in bytes, apart for requests
 * with and without a token, so anonymous uploads can neither fill the memory nor crowd out an
 * operator's write. A body over its limit is refused before it is read (by its Content-Length) or
 * as soon as it passes the limit, and the connection is closed instead of read to its end.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem } from './http.js';

/** Largest body a write takes, after the token: a 100,000-line list is about 4 MB. */
export const MAX_WRITE_BYTES = 16 * 1024 * 1024;
/** Largest body taken before the token: the sign-in form holds one token. */
export const MAX_ANONYMOUS_BYTES = 8 * 1024;
/** Bytes the bodies of requests with a token may hold at once: four whole-list writes. */
export const WRITE_BUDGET_BYTES = 4 * MAX_WRITE_BYTES;
/** Bytes the bodies of requests without a token may hold at once: 128 sign-in forms. */
export const ANONYMOUS_BUDGET_BYTES = 128 * MAX_ANONYMOUS_BYTES;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(
      `the body is larger than ${limit} bytes${limit < MAX_WRITE_BYTES ? ' (the limit before a token)' : ''}`,
    );
  }
}

export class BodiesBusy extends Error {
  constructor() {
    super('too many admin request bodies are being read at once; retry in a moment');
  }
}

/** A pool of bytes that bodies being read reserve, and give back when read or abandoned. */
class Budget {
  private used = 0;

  constructor(readonly capacity: number) {}

  take(bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

export class AdminBodies {
  private readonly writes = new Budget(WRITE_BUDGET_BYTES);
  private readonly anonymous = new Budget(ANONYMOUS_BUDGET_BYTES);

  /**
   * The request body as text: up to `MAX_WRITE_BYTES` with a token (`signedIn`), else up to
   * `MAX_ANONYMOUS_BYTES`. Reserves its declared length (or the whole limit, for a chunked body)
   * from the matching budget until it is read.
   * @throws BodyTooLarge, BodiesBusy
   */
  read(req: IncomingMessage, signedIn: boolean): Promise<string> {
    const limit = signedIn ? MAX_WRITE_BYTES : MAX_ANONYMOUS_BYTES;
    const budget = signedIn ? this.writes : this.anonymous;
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && (!Number.isSafeInteger(length) || length > limit))
      return Promise.reject(new BodyTooLarge(limit));
    const reserved = length ?? limit;
    if (!budget.take(reserved)) return Promise.reject(new BodiesBusy());
    return collect(req, limit).finally(() => budget.give(reserved));
  }
}

function collect(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        settle(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle();
    const onError = (error: Error): void => settle(error);
    const onClose = (): void => settle(new Error('the client closed the connection mid-body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Answers a body refused before it was read whole (413 or 503) and closes the connection, so the
 * rest of the upload is never read; any other error is passed on.
 * @returns false when `error` is not a body refusal
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse, error: unknown): boolean {
  if (!(error instanceof BodyTooLarge) && !(error instanceof BodiesBusy)) return false;
  closeAfter(req, res);
  if (error instanceof BodyTooLarge)
    sendProblem(
      res,
      'CG_GATEWAY_ADMIN_BODY_TOO_LARGE',
      error.message,
      { limit: error.limit },
      { Connection: 'close' },
    );
  else
    sendProblem(res, 'CG_GATEWAY_ADMIN_BUSY', error.message, {}, { Connection: 'close', 'Retry-After': '1' });
  return true;
}

/**
 * Once the answer is out, the socket is ended and, if the client goes on sending, destroyed: the
 * rest of a body nobody will use is not read (a client gets its answer first, then the close).
 */
export function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    const socket = req.socket;
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
}
