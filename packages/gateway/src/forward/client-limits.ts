/**
 * Deadlines on the client side of a forwarded request with a body (docs/gateway.md "Slow
 * clients"): a client that trickles its body holds an upstream connection while it does, so a
 * body must keep moving (`bodyIdleTimeoutMs` between two pieces) and arrive whole within
 * `requestTimeoutMs` of the request's headers. Whichever comes first ends the request.
 */
import type { IncomingMessage } from 'node:http';

export type ClientTimeout = 'body-idle' | 'request-deadline';

/**
 * Arms both deadlines for `req`'s body; they are disarmed once the body has arrived or the request
 * is gone. `onExpire` is called at most once.
 */
export function guardBody(
  req: IncomingMessage,
  idleMs: number,
  deadlineMs: number,
  onExpire: (why: ClientTimeout) => void,
): void {
  let done = false;
  const disarm = (): void => {
    if (done) return;
    done = true;
    clearTimeout(deadline);
    req.off('timeout', onIdle);
    // A closed request has let go of its socket; there is no timer left to clear.
    if (req.socket?.destroyed === false) req.setTimeout(0);
  };
  const expire = (why: ClientTimeout): void => {
    if (done) return;
    disarm();
    onExpire(why);
  };
  const onIdle = (): void => expire('body-idle');
  const deadline = setTimeout(() => expire('request-deadline'), deadlineMs);
  // The socket's idle timer: reset by every byte the client sends, so it measures the pauses.
  req.setTimeout(idleMs, onIdle);
  req.once('end', disarm);
  req.once('close', disarm);
}
