/**
 * The access log (`--access-log`, off by default): one pino JSON line a request once its response
 * is done, with what an operator greps for: method, path, status, origin, the decision and its
 * reason, and the time the upstream took to answer (docs/deploy.md "Access log"). It has its own
 * logger at level info, so `--log-level warn` quiets the gateway's messages without losing it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Decision } from 'corsgate';
import { type Logger, pino } from 'pino';

interface Entry {
  readonly started: number;
  readonly path: string;
  readonly decision: Decision;
  upstreamMs: number | null;
  forwarded: boolean;
}

/** One access line: what `--access-log` writes per request. */
export interface AccessLine {
  event: 'access';
  method: string;
  path: string;
  status: number | null;
  origin: string | null;
  kind: string;
  decision: 'allowed' | 'refused';
  reason: string;
  /** How the request ended: answered by the gateway, forwarded, or the client went away first. */
  outcome: 'answered' | 'forwarded' | 'aborted' | 'websocket';
  upstreamMs: number | null;
  durationMs: number;
  /** A WebSocket that was open: who closed it, and the bytes relayed each way. */
  websocket?: { closed: string; toUpstream: number; toClient: number };
}

/** How a WebSocket handshake ended, for its access line (websocket/proxy.ts). */
export interface UpgradeOutcome {
  readonly status: number;
  readonly started: number;
  readonly upstreamMs: number | null;
  readonly websocket?: { closed: string; toUpstream: number; toClient: number };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export class AccessLog {
  private readonly entries = new WeakMap<object, Entry>();
  private readonly logger: Logger;

  constructor(logger?: Logger) {
    this.logger =
      logger ?? pino({ name: 'corsgate', level: 'info', timestamp: pino.stdTimeFunctions.isoTime });
  }

  /** Called once the request is decided; the line is written when the response closes. */
  decided(req: IncomingMessage, res: ServerResponse, path: string, decision: Decision): void {
    const entry: Entry = { started: performance.now(), path, decision, upstreamMs: null, forwarded: false };
    this.entries.set(res, entry);
    res.once('close', () => this.write(req, res, entry));
  }

  /** The request went to the upstream: its response headers arrived after `ms`. */
  forwarded(res: ServerResponse): void {
    const entry = this.entries.get(res);
    if (entry !== undefined) entry.forwarded = true;
  }

  upstreamAnswered(res: ServerResponse, ms: number): void {
    const entry = this.entries.get(res);
    if (entry !== undefined) entry.upstreamMs = round(ms);
  }

  /**
   * A WebSocket handshake's line: written when it is refused or fails, or, once it opened, when
   * the socket closes (status 101, the socket's lifetime as its duration).
   */
  upgrade(req: IncomingMessage, path: string, decision: Decision, outcome: UpgradeOutcome): void {
    const origin = req.headers.origin;
    const line: AccessLine = {
      event: 'access',
      method: req.method ?? '',
      path,
      status: outcome.status,
      origin: origin === undefined ? null : origin,
      kind: decision.kind,
      decision: decision.allowed ? 'allowed' : 'refused',
      reason: decision.reason,
      outcome: 'websocket',
      upstreamMs: outcome.upstreamMs === null ? null : round(outcome.upstreamMs),
      durationMs: round(performance.now() - outcome.started),
      ...(outcome.websocket === undefined ? {} : { websocket: outcome.websocket }),
    };
    this.logger.info(line, 'access');
  }

  private write(req: IncomingMessage, res: ServerResponse, entry: Entry): void {
    const origin = req.headers.origin;
    const line: AccessLine = {
      event: 'access',
      method: req.method ?? '',
      path: entry.path,
      status: res.headersSent ? res.statusCode : null,
      origin: origin === undefined ? null : origin,
      kind: entry.decision.kind,
      decision: entry.decision.allowed ? 'allowed' : 'refused',
      reason: entry.decision.reason,
      outcome: !res.writableFinished ? 'aborted' : entry.forwarded ? 'forwarded' : 'answered',
      upstreamMs: entry.upstreamMs,
      durationMs: round(performance.now() - entry.started),
    };
    this.logger.info(line, 'access');
  }
}
