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
import { Pool } from 'undici';
import type { GatewayConfig } from '../config/types.js';
import type { UpgradeDecision } from '../websocket/proxy.js';
import type { AccessLog } from './access-log.js';
import type { AllowlistWatcher } from './allowlist.js';
import type { Candidate } from './candidate.js';
import type { DeniedTable } from './denied.js';
import { type ExchangeOwner, UpstreamExchange } from './exchange.js';
import { connectionTokens, isHopByHop } from './headers.js';
import type { Metrics } from './metrics.js';
import { type ResolvedRoute, RouteTable } from './routes.js';
import type { SeenOrigins } from './seen.js';

/** Denial log lines: at most one per origin+reason per interval, and this many per second overall. */
const DENIAL_LOG_INTERVAL_MS = 60_000;
const DENIAL_LOGS_PER_SECOND = 20;

const JSON_TYPE = 'application/json; charset=utf-8';

/** `/.`, `/..`, `//` or a backslash in the target: resolve before matching routes. */
const DOT_SEGMENT = /\/\.|\/\/|\\/;

function normaliseTarget(target: string): string {
  if (target === '*') return '*';
  try {
    const u = new URL(target, 'http://gateway.invalid');
    return u.pathname + u.search;
  } catch {
    return '/';
  }
}

/**
 * The path routes are matched against: percent-decoded (so `/api%2Fx` is under `/api/*`) and
 * dot-segments resolved after decoding (so `/public/%2e%2e/api/x` is too). Matching on what the
 * upstream will most likely resolve stops an encoded path from escaping a stricter route.
 */
function routePath(path: string): string {
  if (!path.includes('%')) return path;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return path;
  }
  return DOT_SEGMENT.test(decoded) ? normaliseTarget(decoded).split('?')[0]! : decoded;
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
  private readonly deps: ProxyDeps;
  private logWindow = 0;
  private logsInWindow = 0;
  private suppressedOverall = 0;
  /** Set while draining: responses ask clients to close their connections. */
  draining = false;

  constructor(deps: ProxyDeps) {
    this.deps = deps;
    const { config } = deps;
    this.scheme = config.tls === undefined ? 'http' : 'https';
    this.upstreamPath = config.upstreamPath;
    this.pool = new Pool(config.upstream, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: config.upstreamTimeoutMs,
      bodyTimeout: config.upstreamTimeoutMs,
      connectTimeout: Math.min(config.upstreamTimeoutMs, 10_000),
    });
    this.routes = new RouteTable(config.routes);
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
    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 0x2f || DOT_SEGMENT.test(url)) url = normaliseTarget(url);
    if (url === '*') return 'no WebSocket at *';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = this.routes.empty ? undefined : this.routes.resolve(routePath(path));
    const policy: Policy = route === undefined ? snapshot.policy : route.policy;
    const decision = policy.evaluate(nodeFacts(req));
    return { target: url, path, decision, stripCookies: route?.stripCookies === true };
  }

  /** The request listener for node:http / node:https. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 2 && !this.authority(req, res)) return;
    // Without routes the watcher's snapshot is the whole state; with routes, the route table holds
    // the snapshot together with the route policies compiled for it (swapped as one).
    const snapshot = this.routes.empty ? this.deps.watcher.current : this.routes.snapshot!;
    let url = req.url ?? '/';
    // Absolute-form targets (`GET http://host/path`) and dot segments are normalised once, and the
    // normalised target is what the upstream receives, so routes match what the upstream serves.
    if (url.charCodeAt(0) !== 0x2f || DOT_SEGMENT.test(url)) url = normaliseTarget(url);
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = this.routes.empty ? undefined : this.routes.resolve(routePath(path));
    const policy: Policy = route === undefined ? snapshot.policy : route.policy;
    // The adapters' request path (corsgate/internal): the same facts, so the same decision and reason.
    const facts = nodeFacts(req);
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
      answerNode(res, decision);
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
    this.forward(req, res, url, decision, route?.stripCookies === true);
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
    const second = Math.floor(now / 1000);
    if (second !== this.logWindow) {
      this.logWindow = second;
      this.logsInWindow = 0;
    }
    if (this.logsInWindow >= DENIAL_LOGS_PER_SECOND) {
      this.suppressedOverall++;
      entry.suppressed++;
      return;
    }
    this.logsInWindow++;
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
        suppressedOverall: this.suppressedOverall,
      },
      'cross-origin request refused',
    );
    entry.loggedAt = now;
    entry.suppressed = 0;
    this.suppressedOverall = 0;
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
    this.deps.access?.forwarded(res);
    const exchange = new UpstreamExchange(this, req, res, decision, target);
    this.pool.dispatch(
      { method, path: this.upstreamPath + target, headers, body: hasBody ? req : null },
      exchange,
    );
  }

  upstreamAnswered(res: ServerResponse, ms: number): void {
    this.deps.metrics.upstreamLatency.observe(ms / 1000);
    this.deps.access?.upstreamAnswered(res, ms);
  }

  clientAborted(): void {
    this.deps.metrics.upstreamErrors.labels('aborted').inc();
  }

  /** 502/504 with the CORS headers an allowed origin needs, or a reset once the response started. */
  upstreamFailed(exchange: UpstreamExchange, error: Error): void {
    const { req, res, decision } = exchange;
    if (exchange.clientGone) return;
    const { metrics } = this.deps;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (res.headersSent) {
      metrics.upstreamErrors.labels('reset').inc();
      res.destroy(error);
      return;
    }
    const timeout =
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'ETIMEDOUT';
    metrics.upstreamErrors.labels(timeout ? 'timeout' : 'refused').inc();
    this.deps.logger.error(
      { event: 'upstream-error', code, message: error.message, path: req.url },
      'upstream failed',
    );
    // The CORS headers an allowed origin needs, so the browser shows the real error (502/504)
    // instead of a CORS error.
    this.json(res, timeout ? 504 : 502, decision, {
      error: timeout ? 'upstream timed out' : 'upstream unavailable',
      code,
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
