/**
 * The traffic listener's request handler, for HTTP/1.1 and HTTP/2 alike. One request:
 *   the decision step (decide/decide.ts: normalised target, route, policy in force, same-origin,
 *   decision) → preflight: answered here, never forwarded → a refused state-changing request:
 *   403, never forwarded → otherwise handed to the one forwarder (forward/forwarder.ts), which
 *   streams it to the upstream and the response back with the decision's CORS headers.
 * The WebSocket upgrade takes the same decision (`decideUpgrade`). Counters and the denied table
 * are updated from the decision, never by re-parsing (docs/gateway.md "Architecture").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from 'corsgate';
import type { AllowlistSnapshot } from 'corsgate/allowlist';
import { answerNode, isBlocked } from 'corsgate/internal';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { type DecidedRequest, Decider, type SnapshotSource } from '../decide/decide.js';
import { RouteTable } from '../decide/routes.js';
import { answerJson, answerPlainJson } from '../forward/answer.js';
import { Forwarder } from '../forward/forwarder.js';
import type { AccessLog } from './access-log.js';
import type { Candidate } from './candidate.js';
import { Denials } from './denials.js';
import type { DeniedTable } from './denied.js';
import type { Metrics } from './metrics.js';
import type { SeenOrigins } from './seen.js';

export interface ProxyDeps {
  readonly config: GatewayConfig;
  /** The allowlist source: its `current` snapshot is the list in force. */
  readonly watcher: SnapshotSource;
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

/** The decision a WebSocket handshake is forwarded or refused on (websocket/proxy.ts). */
export interface UpgradeDecided {
  readonly target: string;
  readonly path: string;
  readonly decision: Decision;
  readonly stripCookies: boolean;
}

export class GatewayProxy {
  readonly decider: Decider;
  readonly forwarder: Forwarder;
  readonly denials: Denials;
  private readonly deps: ProxyDeps;

  constructor(deps: ProxyDeps) {
    this.deps = deps;
    const { config, metrics, logger } = deps;
    const routes = new RouteTable(config.routes, config.dangerouslyCaseSensitiveRoutes);
    routes.onRouteError = (route, error) =>
      logger.error(
        { route: route.path, issues: error.errors.map((i) => i.code) },
        'route policy does not compile with the new allowlist; the route refuses every cross-origin caller until it does',
      );
    this.decider = new Decider({
      source: deps.watcher,
      routes,
      escapedPaths: config.escapedPaths,
      publicOrigins: config.publicOrigins,
    });
    this.forwarder = new Forwarder({
      upstream: config.upstream,
      upstreamPath: config.upstreamPath,
      scheme: config.tls === undefined ? 'http' : 'https',
      connections: config.upstreamConnections,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      queueTimeoutMs: config.upstreamQueueTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
      requestBufferSize: config.requestBufferSize,
      requestBufferMemory: config.requestBufferMemory,
      metrics,
      logger,
      access: deps.access,
    });
    metrics.followBuffers(this.forwarder.buffers);
    this.denials = new Denials(metrics, deps.denied, logger);
  }

  get routes(): RouteTable {
    return this.decider.routes;
  }

  /** Compiles the route policies for the snapshot in force at start, before traffic. */
  prepare(snapshot: AllowlistSnapshot): void {
    this.decider.routes.prepare(snapshot);
  }

  /** Draining: responses ask HTTP/1.1 clients to close their connections. */
  get draining(): boolean {
    return this.forwarder.draining;
  }

  set draining(value: boolean) {
    this.forwarder.draining = value;
  }

  /** A WebSocket handshake's decision, from the same step as every HTTP request's; a string refuses its target (400). */
  decideUpgrade(req: IncomingMessage): UpgradeDecided | string {
    const decided = this.decider.decide(req);
    if (decided.ok) return decided;
    if (decided.asterisk) return 'no WebSocket at *';
    this.deps.metrics.countRefusedTarget(decided.problem);
    return `request target refused (${decided.problem})`;
  }

  /** The request listener for node:http, node:https and node:http2's compatibility API. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor === 2 && !this.authority(req, res)) return;
    const decided = this.decider.decide(req);
    if (!decided.ok) {
      if (decided.asterisk) this.asterisk(req, res);
      else this.refuseTarget(req, res, decided.problem);
      return;
    }
    const { decision, path } = decided;
    if (decision.kind === 'actual' || decision.kind === 'preflight') this.observe(decided);
    this.deps.metrics.countRequest(decision.kind, decision.allowed);
    this.deps.access?.decided(req, res, path, decision);
    // HTTP/2 has no Connection header (RFC 9113 §8.2.2): a draining session gets a GOAWAY instead.
    if (this.forwarder.draining && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
    if (decision.kind === 'preflight') {
      // R2/R14: the gateway answers every preflight itself; it never reaches the upstream.
      if (!decision.allowed) this.denials.record(req, path, decision);
      // A refused preflight says why in its body: the reason code and the requested items the
      // policy lacks, nothing about what it allows (docs/gateway.md "Refused preflights").
      if (!decision.allowed && decision.status === 403) {
        // The same facts as a header, for tools (`corsgate check`) that read no body.
        res.setHeader('Corsgate-Refused', refusedHeader(decision));
        answerJson(res, 403, decision, {
          error: 'CORS preflight refused',
          reason: decision.reason,
          ...(decision.missing === undefined ? {} : { missing: decision.missing }),
        });
      } else answerNode(res, decision);
      return;
    }
    if (!decision.allowed) {
      this.denials.record(req, path, decision);
      // CORS only hides a response, after the upstream has acted: a refused origin's
      // state-changing request is stopped here (docs/gateway.md). In report-only mode it is
      // recorded above and forwarded (docs/console.md "Report-only").
      if (!this.deps.config.reportOnly && isBlocked(decision, req.method ?? 'GET')) {
        this.deps.metrics.blocked.inc();
        answerJson(res, 403, decision, { error: 'cross-origin request refused', reason: decision.reason });
        req.resume();
        return;
      }
    }
    this.forwarder.forward(req, res, decided.target, decision, decided.stripCookies);
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
      answerPlainJson(res, 400, { error: 'Host and :authority differ' });
      req.resume();
      return false;
    }
    if (typeof authority === 'string') req.headers.host = authority;
    return true;
  }

  /** Records a CORS request's origin, and what the candidate list would decide (only when one is staged). */
  private observe(decided: DecidedRequest): void {
    const { seen, candidate } = this.deps;
    const { facts, decision, route } = decided;
    if (seen !== undefined && typeof facts.origin === 'string')
      seen.record(facts.origin, decision.allowed, Date.now());
    // A route with its own origins does not use the list, so a candidate list cannot change it.
    if (candidate?.active === true && route?.route?.origins === undefined)
      candidate.observe(facts, decision, decided.path);
  }

  /**
   * `OPTIONS *` asks about the server, not a resource (RFC 9110 §9.3.7): load balancers' health
   * checks send it. Answered here; any other method with `*` is malformed.
   */
  private asterisk(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.forwarder.draining) res.setHeader('Connection', 'close');
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'Content-Length': 0 });
      res.end();
      return;
    }
    this.deps.metrics.countRefusedTarget('target-form');
    answerPlainJson(res, 400, { error: 'request target refused', reason: 'target-form' });
  }

  /** `400` for a target the gateway will not guess at, with CORS headers an allowed origin needs. */
  private refuseTarget(req: IncomingMessage, res: ServerResponse, problem: string): void {
    this.deps.metrics.countRefusedTarget(problem);
    req.resume();
    if (this.forwarder.draining) res.setHeader('Connection', 'close');
    answerJson(res, 400, this.decider.decideRefused(req), {
      error: 'request target refused',
      reason: problem,
    });
  }

  async close(): Promise<void> {
    await this.forwarder.close();
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
