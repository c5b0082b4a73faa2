/**
 * The one forwarder, as Envoy's router is one filter after its CORS filter: it takes a request the
 * decision step let through and streams it to the upstream over the pooled undici client; the
 * response comes back through `UpstreamExchange` (exchange.ts). It bounds what a client can hold:
 * small bodies are read whole before a connection is taken (body.ts), bodies must keep moving
 * (client-limits.ts), and the wait for a free connection is bounded (503). Upstream failures
 * become 502/504 with the decision's CORS headers (docs/gateway.md "Upstream failures").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from 'corsgate';
import type { Logger } from 'pino';
import type { Dispatcher, Pool } from 'undici';
import { answerJson } from './answer.js';
import { BodyBuffers, type BodyOutcome } from './body.js';
import { type ClientTimeout, guardBody } from './client-limits.js';
import { type ExchangeOwner, UpstreamExchange } from './exchange.js';
import { KeyedLimiter } from './log-limit.js';
import { createUpstreamPool } from './pool.js';
import { hasRequestBody, upstreamHeaders } from './request-head.js';

/** Upstream-error lines: at most one per error code per interval, and this many per second overall. */
const UPSTREAM_LOG_INTERVAL_MS = 60_000;
const UPSTREAM_LOGS_PER_SECOND = 5;
/** Longest path put in a log line. */
const LOGGED_PATH_MAX = 256;

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** What the forwarder counts (server/metrics.ts implements it). */
export interface ForwardMetrics {
  observeUpstream(ms: number): void;
  upstreamError(type: 'saturated' | 'aborted' | 'reset' | 'timeout' | 'refused'): void;
  clientTimeout(type: ClientTimeout): void;
}

/** With --access-log: what the access line takes from the forwarder. */
export interface ForwardAccess {
  forwarded(res: ServerResponse): void;
  upstreamAnswered(res: ServerResponse, ms: number): void;
}

export interface ForwarderOptions {
  readonly upstream: string;
  /** The upstream's base path, prefixed to every forwarded target. */
  readonly upstreamPath: string;
  /** `http` or `https`: what the client used (`X-Forwarded-Proto`). */
  readonly scheme: string;
  readonly connections: number;
  readonly upstreamTimeoutMs: number;
  readonly queueTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly bodyIdleTimeoutMs: number;
  readonly requestBufferSize: number;
  readonly requestBufferMemory: number;
  readonly metrics: ForwardMetrics;
  readonly logger: Logger;
  readonly access?: ForwardAccess | undefined;
}

export class Forwarder implements ExchangeOwner {
  readonly pool: Pool;
  readonly buffers: BodyBuffers;
  /** Set while draining: responses ask clients to close their connections. */
  draining = false;
  /** Requests handed to the pool and not yet settled: at `connections` or more, the next one queues. */
  private inFlight = 0;
  private readonly upstreamLog = new KeyedLimiter(UPSTREAM_LOG_INTERVAL_MS, UPSTREAM_LOGS_PER_SECOND);

  constructor(private readonly options: ForwarderOptions) {
    this.pool = createUpstreamPool(options.upstream, options.connections, options.upstreamTimeoutMs);
    this.buffers = new BodyBuffers(options.requestBufferSize, options.requestBufferMemory);
  }

  /** Forwards a decided request; the response is relayed with `decision`'s CORS headers. */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    decision: Decision,
    stripCookies: boolean,
  ): void {
    const headers = upstreamHeaders(req, this.options.scheme, stripCookies);
    const exchange = new UpstreamExchange(this, req, res, decision, target);
    if (!hasRequestBody(req)) {
      this.dispatch(exchange, headers, null);
      return;
    }
    const { options } = this;
    guardBody(req, options.bodyIdleTimeoutMs, options.requestTimeoutMs, (why) =>
      this.giveUp(exchange, 408, why),
    );
    const length = req.headers['content-length'];
    if (!this.buffers.buffers(length === undefined ? undefined : Number(length))) {
      this.dispatch(exchange, headers, req);
      return;
    }
    exchange.stopReading = this.buffers.read(req, (outcome) => this.bodyRead(exchange, headers, outcome));
  }

  private bodyRead(exchange: UpstreamExchange, headers: string[], outcome: BodyOutcome): void {
    exchange.stopReading = undefined;
    switch (outcome.kind) {
      case 'gone':
        return;
      case 'full':
        this.giveUp(exchange, 503, 'buffers-full');
        return;
      case 'whole':
        exchange.releaseBody = outcome.release;
        this.dispatch(exchange, headers, outcome.body);
        return;
      case 'stream':
        this.dispatch(exchange, headers, outcome.body);
        return;
    }
  }

  private dispatch(
    exchange: UpstreamExchange,
    headers: string[],
    body: Dispatcher.DispatchOptions['body'],
  ): void {
    // A bounded wait for a connection: with every one busy, fail fast (503 with the CORS headers)
    // rather than queue without bound behind clients that hold theirs.
    if (this.inFlight >= this.options.connections)
      exchange.queueTimer = setTimeout(
        () => this.giveUp(exchange, 503, 'upstream-busy'),
        this.options.queueTimeoutMs,
      );
    this.inFlight++;
    this.options.access?.forwarded(exchange.res);
    const method = (exchange.req.method ?? 'GET') as Dispatcher.HttpMethod;
    this.pool.dispatch(
      { method, path: this.options.upstreamPath + exchange.target, headers, body },
      exchange,
    );
  }

  /** Answers for the upstream (503 busy or buffers full, 408 slow body) and cancels the upstream request. */
  private giveUp(
    exchange: UpstreamExchange,
    status: 408 | 503,
    reason: ClientTimeout | 'upstream-busy' | 'buffers-full',
  ): void {
    const { req, res, decision, target } = exchange;
    if (exchange.settled || exchange.gaveUp || exchange.clientGone) return;
    exchange.cancel(reason);
    const { metrics } = this.options;
    // Bodies refused for memory are counted by the buffers themselves (read at scrape time).
    if (reason === 'upstream-busy') metrics.upstreamError('saturated');
    else if (reason !== 'buffers-full') metrics.clientTimeout(reason);
    this.logUpstream('warn', reason, new Error(reason), req, target, 'request answered by the gateway');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The client may still be sending a body: close the connection after the answer.
    if (req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
    answerJson(res, status, decision, GAVE_UP[reason], reason === 'buffers-full' ? RETRY_SOON : undefined);
  }

  /** The exchange ended or failed: its pool place is free. */
  exchangeSettled(exchange: UpstreamExchange): void {
    this.inFlight--;
    clearTimeout(exchange.queueTimer);
  }

  upstreamAnswered(res: ServerResponse, ms: number): void {
    this.options.metrics.observeUpstream(ms);
    this.options.access?.upstreamAnswered(res, ms);
  }

  clientAborted(): void {
    this.options.metrics.upstreamError('aborted');
  }

  /**
   * 502/504 with the CORS headers an allowed origin needs, or, once the response started, a close
   * (a 204/304/HEAD answer whose Content-Length undici found missing is complete: RFC 9110 §8.6).
   */
  upstreamFailed(exchange: UpstreamExchange, error: Error): void {
    const { req, res, decision, target, status } = exchange;
    // The request body may be unread: release it, whatever failed and whenever.
    if (!req.readableEnded) req.resume();
    if (exchange.clientGone || exchange.gaveUp) return;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (res.headersSent) {
      const bodiless = status === 204 || status === 304 || req.method === 'HEAD';
      if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && bodiless) {
        this.logUpstream('warn', code, error, req, target, BODILESS_LENGTH);
        res.end();
        return;
      }
      this.options.metrics.upstreamError('reset');
      this.logUpstream(
        'error',
        code,
        error,
        req,
        target,
        'upstream failed after the response started; connection closed',
      );
      res.destroy(error);
      return;
    }
    const timeout = TIMEOUT_CODES.has(code);
    this.options.metrics.upstreamError(timeout ? 'timeout' : 'refused');
    this.logUpstream('error', code, error, req, target, 'upstream failed');
    // The CORS headers an allowed origin needs, so the browser shows the real error (502/504)
    // instead of a CORS error.
    answerJson(res, timeout ? 504 : 502, decision, {
      error: timeout ? 'upstream timed out' : 'upstream unavailable',
      code,
    });
  }

  /** An upstream-error line, rate-limited per error code like the denial log; the path clipped. */
  private logUpstream(
    level: 'warn' | 'error',
    code: string,
    error: Error,
    req: IncomingMessage,
    target: string,
    message: string,
  ): void {
    const held = this.upstreamLog.take(code, Date.now());
    if (held === undefined) return;
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    this.options.logger[level](
      {
        event: 'upstream-error',
        code,
        message: error.message.slice(0, LOGGED_PATH_MAX),
        method: req.method,
        path: path.length > LOGGED_PATH_MAX ? `${path.slice(0, LOGGED_PATH_MAX)}…` : path,
        suppressed: held,
        suppressedOverall: this.upstreamLog.budget.drain(),
      },
      message,
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

const BODILESS_LENGTH = 'upstream sent a Content-Length on a response without a body; relayed without one';

/** The bodies of the gateway's answers for the upstream. */
const GAVE_UP: Readonly<Record<ClientTimeout | 'upstream-busy' | 'buffers-full', object>> = {
  'upstream-busy': { error: 'no upstream connection free in time', reason: 'upstream-busy' },
  'body-idle': { error: 'request body too slow', reason: 'body-idle' },
  'request-deadline': { error: 'request body too slow', reason: 'request-deadline' },
  'buffers-full': {
    error: 'request bodies already hold the memory the gateway buffers them in; retry',
    reason: 'buffers-full',
    code: 'CG_GATEWAY_BUFFERS_FULL',
  },
};
const RETRY_SOON = { 'Retry-After': '1' };
