/** The pooled keep-alive undici client every forwarded request goes through. */
import { Client, type Dispatcher, Pool } from 'undici';

/** Longest connect wait, whatever `--upstream-timeout` says. */
const CONNECT_TIMEOUT_MAX_MS = 10_000;
/** How long an idle upstream connection is kept (below Node's 5 s server default). */
const KEEP_ALIVE_MS = 4_000;

/**
 * undici's pool marks a client busy when `dispatch` returns false, and waits for it to drain; a
 * request undici refuses synchronously (a target or header it cannot send) also returns false,
 * but nothing is queued, so that client would never drain and its slot is gone for good. A
 * handler that already settled during `dispatch` means nothing is pending: the client is free.
 */
class ReleasingClient extends Client {
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return super.dispatch(options, handler) || (handler as { settled?: boolean }).settled === true;
  }
}

export function createUpstreamPool(upstream: string, connections: number, timeoutMs: number): Pool {
  return new Pool(upstream, {
    factory: (origin, options) => new ReleasingClient(origin, options),
    connections,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_MS,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: Math.min(timeoutMs, CONNECT_TIMEOUT_MAX_MS),
  });
}
