/**
 * One request forwarded to the upstream, as undici's core dispatch handler (`onConnect`,
 * `onHeaders`, `onData`, `onComplete`, `onError`): the interface undici's own `request()` and
 * `stream()` implement in 7.x. Its types mark it deprecated in favour of `onRequestStart`/
 * `onResponseStart`/…, which undici serves by wrapping each request's handler in an adapter with
 * a controller and parsing the raw head into a header object; here the head arrives as the raw
 * name/value buffers and nothing is built per request but this object (bench/gateway/RESULTS.md,
 * "Where the time goes"). undici is pinned, and the proxy tests cover every path of this class.
 * The response is written straight to the client's `ServerResponse`, with back-pressure both ways.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { appendVary, type Decision } from 'corsgate';
import { type Dispatcher, util } from 'undici';
import { connectionTokens, isHopByHop } from './headers.js';

/** What an exchange needs from the proxy that started it. */
export interface ExchangeOwner {
  /** The upstream answered with its head after `ms` (metrics, access log). */
  upstreamAnswered(res: ServerResponse, ms: number): void;
  /** The client went away before the response ended. */
  clientAborted(): void;
  /** Set while draining: responses ask clients to close their connections. */
  readonly draining: boolean;
  /** The upstream failed; `exchange.status` is 0 when no response head was relayed. */
  upstreamFailed(exchange: UpstreamExchange, error: Error): void;
  /** Ended or failed, once: the request no longer counts against the pool. */
  exchangeSettled(exchange: UpstreamExchange): void;
}

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  /** The status relayed to the client; 0 until the upstream's final response head arrives. */
  status = 0;
  /** Ended or failed (read right after `dispatch`: a request refused synchronously has settled). */
  settled = false;
  /** The client closed its connection before the response ended. */
  clientGone = false;
  /** The gateway answered for the upstream (408 slow body, 503 no connection): cancelled. */
  gaveUp = false;
  /** Armed while the pool has no free connection (docs/gateway.md "Slow clients"). */
  queueTimer: NodeJS.Timeout | undefined;
  /** Set while the body is being read whole (body.ts): stops reading and frees what it held. */
  stopReading: (() => void) | undefined;
  /** Set once a body read whole is dispatched: frees its bytes when the exchange ends. */
  releaseBody: (() => void) | undefined;
  private abortUpstream: ((error?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly owner: ExchangeOwner,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly decision: Decision,
    /** The normalised target forwarded, for log lines. */
    readonly target: string,
  ) {
    res.on('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (this.settled || this.gaveUp) return;
    // The client went away before the response ended: cancel the upstream request.
    this.clientGone = true;
    this.owner.clientAborted();
    this.abortUpstream?.(new Error('client aborted'));
  };

  /** Called once the request has an upstream connection. */
  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    clearTimeout(this.queueTimer);
    if (this.clientGone || this.gaveUp) abort(new Error('client aborted'));
  }

  /** The gateway answers instead of the upstream: cancel the upstream request, now or once connected. */
  cancel(reason: string): void {
    this.gaveUp = true;
    clearTimeout(this.queueTimer);
    this.stopReading?.();
    this.releaseBody?.();
    this.abortUpstream?.(new Error(reason));
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    this.owner.upstreamAnswered(this.res, performance.now() - this.started);
    // 1xx informational: not relayed; nothing once the gateway has answered for the upstream.
    if (statusCode < 200 || this.gaveUp) return true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    this.res.writeHead(statusCode, this.responseHead(raw));
    return true;
  }

  /**
   * The upstream's header lines (names lower-cased, values byte for byte), minus hop-by-hop ones
   * and its own CORS headers, which the decision's replace, never duplicate: two ACAO lines always
   * fail the browser's CORS check (R10), and the upstream's may be wrong. Its Vary is appended to.
   */
  private responseHead(raw: Buffer[]): string[] {
    let out: string[] = [];
    let connection: string | string[] | undefined;
    let vary: string | string[] | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = util.headerNameToString(raw[i]!);
      const value = raw[i + 1]!.toString('latin1');
      if (name === 'connection') connection = joinLine(connection, value);
      else if (name === 'vary') vary = joinLine(vary, value);
      else if (!name.startsWith('access-control-') && !isHopByHop(name, undefined)) out.push(name, value);
    }
    // Names the upstream's Connection lists are hop-by-hop too; rare, so filtered afterwards.
    const listed = connectionTokens(connection);
    if (listed !== undefined) {
      const kept: string[] = [];
      for (let i = 0; i < out.length; i += 2) if (!listed.has(out[i]!)) kept.push(out[i]!, out[i + 1]!);
      out = kept;
      if (listed.has('vary')) vary = undefined;
    }
    const dh = this.decision.headers;
    for (const name in dh) out.push(name, dh[name]!);
    const merged = appendVary(vary, this.decision.vary);
    if (merged !== undefined) out.push('Vary', merged);
    if (this.owner.draining && this.req.httpVersionMajor === 1) out.push('Connection', 'close');
    return out;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    // The client reads slower than the upstream sends: pause the upstream until it drains.
    // Made only when needed: most responses never wait for the client.
    this.res.once('drain', () => this.resumeUpstream?.());
    return false;
  }

  onComplete(): void {
    this.settle();
    if (!this.gaveUp) this.res.end();
  }

  onError(error: Error): void {
    this.settle();
    this.owner.upstreamFailed(this, error);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.releaseBody?.();
    this.owner.exchangeSettled(this);
  }
}

/** Repeated lines of one field, as undici's header object gave them: a string, or each line. */
function joinLine(prev: string | string[] | undefined, value: string): string | string[] {
  if (prev === undefined) return value;
  return Array.isArray(prev) ? [...prev, value] : [prev, value];
}
