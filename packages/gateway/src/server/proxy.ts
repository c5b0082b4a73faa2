/**
 * The traffic listener's request handler. One request:
 *   facts from the raw request → decision against the snapshot in force now (the route's policy
 *   when a route matches) → preflight: answered here, never forwarded → a refused state-changing
 *   request: 403, never forwarded → otherwise streamed to the upstream over a pooled keep-alive
 *   undici client, and the response streamed back with the upstream's CORS headers replaced by the
 *   decision's and Vary appended to (exchange.ts).
 * Counters and the denied table are updated from the decision, never by re-parsing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appendVary, type Decision, type Policy, type RequestFacts } from 'corsgate';
import { answerNode, isBlocked, nodeFacts } from 'corsgate/internal';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { Client, Pool } from 'undici';
import type { GatewayConfig } from '../config/types.js';
import { type EscapedPathAction, normalizeTarget, type TargetProblem } from '../path/normalize.js';
import type { UpgradeDecision } from '../websocket/proxy.js';
import type { AccessLog } from './access-log.js';
import type { AllowlistWatcher } from './allowlist.js';
import type { Candidate } from './candidate.js';
import { type ClientTimeout, guardBody } from './client-limits.js';
import type { DeniedTable } from './denied.js';
import { type ExchangeOwner, UpstreamExchange } from './exchange.js';
import { connectionTokens, isHopByHop } from './headers.js';
import { KeyedLimiter, LineBudget } from './log-limit.js';
import type { Metrics } from './metrics.js';
import { OwnOrigins } from './own-origins.js';
import { type ResolvedRoute, RouteTable } from './routes.js';
import type { SeenOrigins } from './seen.js';

/** Denial log lines: at most one per origin+reason per interval, and this many per second overall. */
const DENIAL_LOG_INTERVAL_MS = 60_000;
const DENIAL_LOGS_PER_SECOND = 20;

const JSON_TYPE = 'application/json; charset=utf-8';

/** Upstream-error lines: at most one per error code per interval, and this many per second overall. */
const UPSTREAM_LOG_INTERVAL_MS = 60_000;
const UPSTREAM_LOGS_PER_SECOND = 5;
/** Longest path put in a log line. */
const LOGGED_PATH_MAX = 256;

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

export interface ProxyDeps {
  readonly config: GatewayConfig;
  readonly watcher: AllowlistWatcher;
  readonly metrics: Metrics;
  readonly denied: DeniedTable;
  readonly logger: Logger;
  /** Present with --access-log: one line a request. */
  readonly access?: AccessLog | undefined;
  /** Every origin seen, allowed or refused (for `corsgate suggest`). */
  readonly seen?: SeenOrigins;
  /** The candidate list evaluated beside the one in force (docs/console.md "Candidate lists"). */
  readonly candidate?: Candidate;
}

export class GatewayProxy implements ExchangeOwner {
  readonly pool: Pool;
  readonly routes: RouteTable;
  private readonly scheme: string;
  private readonly upstreamPath: string;
  private readonly escapedPaths: EscapedPathAction;
  private readonly deps: ProxyDeps;
  private readonly denialBudget = new LineBudget(DENIAL_LOGS_PER_SECOND);
  private readonly upstreamLog = new KeyedLimiter(UPSTREAM_LOG_INTERVAL_MS, UPSTREAM_LOGS_PER_SECOND);
  private readonly ownOrigins: OwnOrigins;
  /** Requests handed to the pool and not yet settled: at `connections` or more, the next one queues. */
  private inFlight = 0;
  private readonly connections: number;
  /** Set while draining: responses ask clients to close their connections. */
  draining = false;

  constructor(deps: ProxyDeps) {
    this.deps = deps;
    const { config } = deps;
    this.scheme = config.tls === undefined ? 'http' : 'https';
    this.upstreamPath = config.upstreamPath;
    this.escapedPaths = config.escapedPaths;
    this.ownOrigins = new OwnOrigins(config.publicOrigins);
    this.connections = config.upstreamConnections;
    this.pool = new Pool(config.upstream, {
      factory: (origin, options) => new ReleasingClient(origin, options),
      connections: config.upstreamConnections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: config.upstreamTimeoutMs,
      bodyTimeout: config.upstreamTimeoutMs,
      connectTimeout: Math.min(config.upstreamTimeoutMs, 10_000),
    });
    this.routes = new RouteTable(config.routes, config.dangerouslyCaseSensitiveRoutes);
    this.routes.onRouteError = (route, error) =>
      deps.logger.error(
        { route: route.path, issues: error.errors.map((i) => i.code) },
        'route policy does not compile with the new allowlist; the route refuses every cross-origin caller until it does',
      );
  }

  /**
   * A WebSocket handshake's decision, made as `handle` makes an HTTP request's: the same target
   * normalisation, route and policy in force now (websocket/proxy.ts).
   */
  decideUpgrade(req: IncomingMessage): UpgradeDecision | string {
    const snapshot = this.routes.empty ? this.deps.watcher.current : this.routes.snapshot!;
    const url = req.url ?? '/';
    if (url === '*') return 'no WebSocket at *';
    const normalized = normalizeTarget(url, this.escapedPaths);
    if (!normalized.ok) {
      this.deps.metrics.countRefusedTarget(normalized.problem);
      return `request target refused (${normalized.problem})`;
    }
    const path = normalized.path;
    const route = this.routes.empty ? undefined : this.routes.resolve(path);
    const policy: Policy = route === undefined ? snapshot.policy : route.policy;
    const decision = policy.evaluate(this.ownOrigins.facts(nodeFacts(req), req.headers));
    const target = normalized.query === '' ? path : path + normalized.query;
    return { target, path, decision, stripCookies: route?.stripCookies === true };
  }

  /** The request listener for node:http / node:https. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 2 && !this.authority(req, res)) return;
    // Without routes the watcher's snapshot is the whole state; with routes, the route table holds
    // the snapshot together with the route policies compiled for it (swapped as one).
    const snapshot = this.routes.empty ? this.deps.watcher.current : this.routes.snapshot!;
    const url = req.url ?? '/';
    if (url === '*') {
      this.asterisk(req, res);
      return;
    }
    // The gateway decides on exactly the path it forwards (src/path/normalize.ts): a target whose
    // meaning depends on who decodes it is refused, never guessed at.
    const normalized = normalizeTarget(url, this.escapedPaths);
    if (!normalized.ok) {
      this.refuseTarget(req, res, snapshot.policy, normalized.problem);
      return;
    }
    const path = normalized.path;
    const target = normalized.query === '' ? path : path + normalized.query;
    const route = this.routes.empty ? undefined : this.routes.resolve(path);
    const policy: Policy = route === undefined ? snapshot.policy : route.policy;
    // The adapters' request path (corsgate/internal): the same facts, so the same decision and reason.
    // Only same-origin is the gateway's own (own-origins.ts: never by Host).
    const facts = this.ownOrigins.facts(nodeFacts(req), req.headers);
    const decision = policy.evaluate(facts);
    if (decision.kind === 'actual' || decision.kind === 'preflight')
      this.observe(facts, decision, path, route);
    const { metrics } = this.deps;
    metrics.countRequest(decision.kind, decision.allowed);
    this.deps.access?.decided(req, res, path, decision);
    // HTTP/2 has no Connection header (RFC 9113 §8.2.2): a draining session gets a GOAWAY instead.
    if (this.draining && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');

    if (decision.kind === 'preflight') {
      // R2/R14: the gateway answers every preflight itself; it never reaches the upstream.
      if (!decision.allowed) this.deny(req, path, decision);
      // A refused preflight says why in its body: the reason code and the requested items the
      // policy lacks, nothing about what it allows (docs/gateway.md "Refused preflights").
      if (!decision.allowed && decision.status === 403) {
        // The same facts as a header, for tools (`corsgate check`) that read no body.
        res.setHeader('Corsgate-Refused', refusedHeader(decision));
        this.json(res, 403, decision, {
          error: 'CORS preflight refused',
          reason: decision.reason,
          ...(decision.missing === undefined ? {} : { missing: decision.missing }),
        });
      } else answerNode(res, decision);
      return;
    }
    if (!decision.allowed) {
      this.deny(req, path, decision);
      // CORS only hides a response, after the upstream has acted: a refused origin's
      // state-changing request is stopped here (docs/gateway.md). In report-only mode it is
      // recorded above and forwarded (docs/console.md "Report-only").
      if (!this.deps.config.reportOnly && isBlocked(decision, req.method ?? 'GET')) {
        metrics.blocked.inc();
        this.json(res, 403, decision, { error: 'cross-origin request refused', reason: decision.reason });
        req.resume();
        return;
      }
    }
    this.forward(req, res, target, decision, route?.stripCookies === true);
  };

  /**
   * HTTP/2: `:authority` stands where `Host` does in HTTP/1.1 (RFC 9113 §8.3.1), for the own-origin
   * check and X-Forwarded-Host. A `Host` that says otherwise makes the request malformed: 400.
   * (Connection-specific headers never get here: the HTTP/2 layer refuses such a stream.)
   */
  private authority(req: IncomingMessage, res: ServerResponse): boolean {
    const authority = req.headers[':authority'];
    const host = req.headers.host;
    if (typeof authority === 'string' && host !== undefined && host !== authority) {
      const body = JSON.stringify({ error: 'Host and :authority differ' });
      res.writeHead(400, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      req.resume();
      return false;
    }
    if (typeof authority === 'string') req.headers.host = authority;
    return true;
  }

  /** Records a CORS request's origin, and what the candidate list would decide (only when one is staged). */
  private observe(
    facts: RequestFacts,
    decision: Decision,
    path: string,
    route: ResolvedRoute | undefined,
  ): void {
    const { seen, candidate } = this.deps;
    if (seen !== undefined && typeof facts.origin === 'string')
      seen.record(facts.origin, decision.allowed, Date.now());
    // A route with its own origins does not use the list, so a candidate list cannot change it.
    if (candidate?.active === true && route?.route?.origins === undefined)
      candidate.observe(facts, decision, path);
  }

  /**
   * `OPTIONS *` asks about the server, not a resource (RFC 9110 §9.3.7): load balancers' health
   * checks send it. Answered here; any other method with `*` is malformed.
   */
  private asterisk(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.draining) res.setHeader('Connection', 'close');
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
      return;
    }
    this.deps.metrics.countRefusedTarget('target-form');
    const text = JSON.stringify({ error: 'request target refused', reason: 'target-form' });
    res.writeHead(400, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** `400` for a target the gateway will not guess at, with CORS headers an allowed origin needs. */
  private refuseTarget(
    req: IncomingMessage,
    res: ServerResponse,
    policy: Policy,
    problem: TargetProblem,
  ): void {
    this.deps.metrics.countRefusedTarget(problem);
    req.resume();
    if (this.draining) res.setHeader('Connection', 'close');
    const decision = policy.evaluate(this.ownOrigins.facts(nodeFacts(req), req.headers));
    this.json(res, 400, decision, { error: 'request target refused', reason: problem });
  }

  /** Records a refusal: metrics, /denied, and the deduplicated, rate-limited log line. */
  deny(req: IncomingMessage, path: string, decision: Decision): void {
    this.deps.metrics.countDenial(decision.reason);
    const origin = req.headers.origin ?? '';
    const now = Date.now();
    const entry = this.deps.denied.record(origin, decision.reason, req.method ?? '', path, now);
    // Deduplicated and rate-limited: once per origin+reason per interval, and a global cap per
    // second, so a flood of distinct origins cannot flood the log.
    if (now - entry.loggedAt < DENIAL_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    if (!this.denialBudget.take(now)) {
      entry.suppressed++;
      return;
    }
    this.deps.logger.warn(
      {
        event: 'denied',
        kind: decision.kind,
        reason: decision.reason,
        detail: decision.detail,
        origin: entry.origin,
        method: req.method,
        path: entry.samplePath,
        suppressed: entry.suppressed,
        suppressedOverall: this.denialBudget.drain(),
      },
      'cross-origin request refused',
    );
    entry.loggedAt = now;
    entry.suppressed = 0;
  }

  /** A small JSON answer from the gateway itself, with the decision's CORS headers. */
  private json(res: ServerResponse, status: number, decision: Decision, body: object): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    const headers = decision.headers as Record<string, string | number>;
    const vary = appendVary(undefined, decision.vary);
    if (vary !== undefined) headers['Vary'] = vary;
    headers['Content-Type'] = JSON_TYPE;
    headers['Content-Length'] = Buffer.byteLength(text);
    headers['Cache-Control'] = 'no-store';
    res.writeHead(status, headers);
    res.end(text);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    decision: Decision,
    stripCookies: boolean,
  ): void {
    const raw = req.rawHeaders;
    const listed = connectionTokens(req.headers.connection);
    const headers: string[] = [];
    let xff: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const lower = name.toLowerCase();
      // HTTP/2 pseudo-headers (`:path`, `:authority`, …) describe this hop; the upstream is HTTP/1.1.
      if (isHopByHop(lower, listed) || lower.charCodeAt(0) === 0x3a) continue;
      switch (lower) {
        case 'host':
        case 'x-forwarded-proto':
        case 'x-forwarded-host':
        // Node answers Expect: 100-continue itself; undici does not forward it.
        case 'expect':
          continue;
        case 'x-forwarded-for':
          xff = xff === undefined ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
          continue;
        case 'cookie':
          if (stripCookies) continue;
      }
      headers.push(name, raw[i + 1]!);
    }
    const client = req.socket.remoteAddress ?? '';
    headers.push('X-Forwarded-For', xff === undefined ? client : `${xff}, ${client}`);
    headers.push('X-Forwarded-Proto', this.scheme);
    if (req.headers.host !== undefined) headers.push('X-Forwarded-Host', req.headers.host);

    const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.httpVersionMajor === 2
          ? // HTTP/2 frames a body without either header: none when the stream ended with its headers.
            (req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders !== true
          : req.headers['transfer-encoding'] !== undefined;
    const exchange = new UpstreamExchange(this, req, res, decision, target);
    const { config } = this.deps;
    if (hasBody)
      guardBody(req, config.bodyIdleTimeoutMs, config.requestTimeoutMs, (why) =>
        this.giveUp(exchange, 408, why),
      );
    // A bounded wait for a connection: with every one busy, fail fast (503 with the CORS headers)
    // rather than queue without bound behind clients that hold theirs.
    if (this.inFlight >= this.connections)
      exchange.queueTimer = setTimeout(
        () => this.giveUp(exchange, 503, 'upstream-busy'),
        config.upstreamQueueTimeoutMs,
      );
    this.inFlight++;
    this.deps.access?.forwarded(res);
    this.pool.dispatch(
      { method, path: this.upstreamPath + target, headers, body: hasBody ? req : null },
      exchange,
    );
  }

  /** Answers for the upstream (503 busy, 408 slow body) and cancels the upstream request. */
  private giveUp(
    exchange: UpstreamExchange,
    status: 408 | 503,
    reason: ClientTimeout | 'upstream-busy',
  ): void {
    const { req, res, decision, target } = exchange;
    if (exchange.settled || exchange.gaveUp || exchange.clientGone) return;
    exchange.cancel(reason);
    const { metrics } = this.deps;
    if (status === 503) metrics.upstreamErrors.labels('saturated').inc();
    else metrics.clientTimeouts.labels(reason).inc();
    this.logUpstream('warn', reason, new Error(reason), req, target, 'request answered by the gateway');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The client may still be sending a body: close the connection after the answer.
    if (req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
    this.json(res, status, decision, {
      error: status === 503 ? 'no upstream connection free in time' : 'request body too slow',
      reason,
    });
  }

  /** The exchange ended or failed: its pool place is free. */
  exchangeSettled(exchange: UpstreamExchange): void {
    this.inFlight--;
    clearTimeout(exchange.queueTimer);
  }

  upstreamAnswered(res: ServerResponse, ms: number): void {
    this.deps.metrics.upstreamLatency.observe(ms / 1000);
    this.deps.access?.upstreamAnswered(res, ms);
  }

  clientAborted(): void {
    this.deps.metrics.upstreamErrors.labels('aborted').inc();
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
    const { metrics } = this.deps;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (res.headersSent) {
      const bodiless = status === 204 || status === 304 || req.method === 'HEAD';
      if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && bodiless) {
        this.logUpstream(
          'warn',
          code,
          error,
          req,
          target,
          'upstream sent a Content-Length on a response without a body; relayed without one',
        );
        res.end();
        return;
      }
      metrics.upstreamErrors.labels('reset').inc();
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
    const timeout =
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'ETIMEDOUT';
    metrics.upstreamErrors.labels(timeout ? 'timeout' : 'refused').inc();
    this.logUpstream('error', code, error, req, target, 'upstream failed');
    // The CORS headers an allowed origin needs, so the browser shows the real error (502/504)
    // instead of a CORS error.
    this.json(res, timeout ? 504 : 502, decision, {
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
    this.deps.logger[level](
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

/**
 * `Corsgate-Refused: reason=method-not-allowed; method=PUT; headers=content-type,x-id`: why a
 * preflight was refused, only the reason code and the requested items the policy lacks (tokens,
 * never the origin or what the policy allows; docs/gateway.md "Refused preflights").
 */
export function refusedHeader(decision: Decision): string {
  const parts = [`reason=${decision.reason}`];
  const missing = decision.missing;
  if (missing?.method !== undefined) parts.push(`method=${missing.method}`);
  if (missing !== undefined && missing.headers.length > 0) parts.push(`headers=${missing.headers.join(',')}`);
  return parts.join('; ');
}
