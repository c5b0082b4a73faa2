/**
 * Recording a refusal, the same for HTTP and WebSocket handshakes: metrics, /denied, and a log
 * line deduplicated per origin and reason and capped per second overall (docs/gateway.md "Logs"),
 * so a flood of distinct origins cannot flood the log.
 */
import type { IncomingMessage } from 'node:http';
import type { Decision } from 'corsgate';
import type { Logger } from 'pino';
import { LineBudget } from '../forward/log-limit.js';
import type { DeniedTable } from './denied.js';
import type { Metrics } from './metrics.js';

/** Denial log lines: at most one per origin+reason per interval, and this many per second overall. */
const DENIAL_LOG_INTERVAL_MS = 60_000;
const DENIAL_LOGS_PER_SECOND = 20;

export class Denials {
  private readonly budget = new LineBudget(DENIAL_LOGS_PER_SECOND);

  constructor(
    private readonly metrics: Metrics,
    private readonly denied: DeniedTable,
    private readonly logger: Logger,
  ) {}

  record(req: IncomingMessage, path: string, decision: Decision): void {
    this.metrics.countDenial(decision.reason);
    const origin = req.headers.origin ?? '';
    const now = Date.now();
    const entry = this.denied.record(origin, decision.reason, req.method ?? '', path, now);
    if (now - entry.loggedAt < DENIAL_LOG_INTERVAL_MS || !this.budget.take(now)) {
      entry.suppressed++;
      return;
    }
    this.logger.warn(
      {
        event: 'denied',
        kind: decision.kind,
        reason: decision.reason,
        detail: decision.detail,
        origin: entry.origin,
        method: req.method,
        path: entry.samplePath,
        suppressed: entry.suppressed,
        suppressedOverall: this.budget.drain(),
      },
      'cross-origin request refused',
    );
    entry.loggedAt = now;
    entry.suppressed = 0;
  }
}
