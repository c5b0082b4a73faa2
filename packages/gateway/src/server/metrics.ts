/**
 * Prometheus metrics (prom-client, the global registry so that with --workers the primary's
 * AggregatorRegistry can collect every worker's). Label children are bound once so the hot path
 * only increments.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, register } from 'prom-client';
import type { AllowlistSnapshot, AllowlistStatus } from './allowlist.js';

let defaultsStarted = false;

/** Upper bounds (seconds) of `corsgate_upstream_response_seconds`. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** prom-client's one series of a histogram without labels, as its `collect` may update it. */
interface HistogramSeries {
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

export class Metrics {
  /**
   * Hot-path counts are plain numbers, folded into the prom-client counters at scrape time:
   * a bound label child still hashes its labels on every `inc`.
   */
  private readonly requestCounts = new Map<string, { kind: string; decision: string; n: number }>();
  private readonly denialCounts = new Map<string, number>();
  private readonly refusedTargetCounts = new Map<string, number>();

  readonly requests = this.foldedCounter(
    'corsgate_requests_total',
    'Requests by kind (preflight, actual, same-origin, not-cors) and decision (allowed, refused)',
    ['kind', 'decision'],
    (c) => {
      for (const { kind, decision, n } of this.requestCounts.values()) c.inc({ kind, decision }, n);
    },
  );
  readonly denials = this.foldedCounter(
    'corsgate_denials_total',
    'Refused requests by reason code (see REASONS)',
    ['reason'],
    (c) => {
      for (const [reason, n] of this.denialCounts) c.inc({ reason }, n);
    },
  );
  readonly refusedTargets = this.foldedCounter(
    'corsgate_refused_targets_total',
    'Requests answered 400 because their target is ambiguous (reason: target-…, see docs/gateway.md)',
    ['reason'],
    (c) => {
      for (const [reason, n] of this.refusedTargetCounts) c.inc({ reason }, n);
    },
  );
  readonly blocked = new Counter({
    name: 'corsgate_blocked_requests_total',
    help: 'State-changing cross-origin requests answered 403 without reaching the upstream',
  });
  readonly allowlistVersion = new Gauge({
    name: 'corsgate_allowlist_version',
    help: 'Version of the allowlist in force (increases by one per applied change)',
    aggregator: 'max',
  });
  readonly allowlistEntries = new Gauge({
    name: 'corsgate_allowlist_entries',
    help: 'Entries in the allowlist in force',
    aggregator: 'max',
  });
  readonly lastReloadSuccess = new Gauge({
    name: 'corsgate_allowlist_last_reload_success',
    help: '1 when the last reload applied or found no change, 0 when it was rejected or the file unreadable',
    aggregator: 'min',
  });
  readonly lastReloadTime = new Gauge({
    name: 'corsgate_allowlist_last_reload_timestamp_seconds',
    help: 'When the allowlist file was last read (Unix time)',
    aggregator: 'max',
  });
  /** The source whose staleness the gauge below reports at scrape time. */
  private source: { status(): AllowlistStatus } | undefined;
  readonly allowlistStaleSince = new Gauge({
    name: 'corsgate_allowlist_stale_since_seconds',
    help: 'Since when (Unix time) the allowlist source (Redis) cannot be reached and the last good version is kept; 0 while it is reachable',
    aggregator: 'max',
    collect: () => {
      const since = this.source?.status().staleSince;
      this.allowlistStaleSince.set(since === undefined ? 0 : since / 1000);
    },
  });
  readonly allowlistReady = new Gauge({
    name: 'corsgate_allowlist_ready',
    help: '1 once a version of the allowlist is in force; 0 while a Redis source has none yet (every origin refused)',
    aggregator: 'min',
    collect: () => {
      this.allowlistReady.set(this.source?.status().ready === false ? 0 : 1);
    },
  });
  readonly reloadFailures = new Counter({
    name: 'corsgate_allowlist_reload_failures_total',
    help: 'Reloads that kept the previous version: rejected (errors in the file), missing or unreadable',
    labelNames: ['result'] as const,
  });
  /** Upstream response times counted into plain buckets on the request path, folded in at scrape. */
  private readonly latencyCounts = new Float64Array(LATENCY_BUCKETS.length);
  private latencySum = 0;
  private latencyCount = 0;
  readonly upstreamLatency = new Histogram({
    name: 'corsgate_upstream_response_seconds',
    help: 'Time from forwarding a request to the upstream’s response headers',
    buckets: [...LATENCY_BUCKETS],
    collect: () => this.foldLatency(),
  });
  /** The request bodies being read whole (forward/body.ts), read at scrape time. */
  private buffers: { readonly bytesHeld: number; readonly refused: number } | undefined;
  readonly requestBufferBytes = new Gauge({
    name: 'corsgate_request_buffer_bytes',
    help: 'Bytes held now by request bodies read whole before they take an upstream connection',
    aggregator: 'sum',
    collect: () => {
      this.requestBufferBytes.set(this.buffers?.bytesHeld ?? 0);
    },
  });
  readonly requestBuffersFull = new Counter({
    name: 'corsgate_request_buffers_full_total',
    help: 'Request bodies refused 503 because buffered bodies held --request-buffer-memory bytes',
    collect: () => {
      this.requestBuffersFull.reset();
      this.requestBuffersFull.inc(this.buffers?.refused ?? 0);
    },
  });
  readonly clientTimeouts = new Counter({
    name: 'corsgate_client_timeouts_total',
    help: 'Requests ended 408 because the client sent its body too slowly: body-idle, request-deadline',
    labelNames: ['type'] as const,
  });
  readonly upstreamErrors = new Counter({
    name: 'corsgate_upstream_errors_total',
    help: 'Upstream failures by type: refused (502), timeout (504), saturated (503: no free connection in time), reset, aborted (client went away)',
    labelNames: ['type'] as const,
  });

  readonly websocketHandshakes = new Counter({
    name: 'corsgate_websocket_handshakes_total',
    help: 'WebSocket handshakes by result: forwarded (101), refused (403 at the gateway), upstream_refused, upstream_error, bad_request, unsupported',
    labelNames: ['result'] as const,
  });
  readonly websocketOpen = new Gauge({
    name: 'corsgate_websocket_connections',
    help: 'WebSockets open through the gateway now',
    aggregator: 'sum',
  });
  readonly websocketClosed = new Counter({
    name: 'corsgate_websocket_closed_total',
    help: 'WebSockets closed, by who or why: client, upstream, policy (1008 after a list change), idle (1001), error, shutdown',
    labelNames: ['reason'] as const,
  });
  readonly websocketBytes = new Counter({
    name: 'corsgate_websocket_bytes_total',
    help: 'Bytes relayed on closed WebSockets, by direction (to_upstream, to_client)',
    labelNames: ['direction'] as const,
  });

  constructor() {
    if (!defaultsStarted) {
      collectDefaultMetrics({ prefix: 'corsgate_' });
      defaultsStarted = true;
      // prom-client installs a worker's answer to the primary's metrics requests only when an
      // AggregatorRegistry is constructed in that worker.
      if (cluster.isWorker) new AggregatorRegistry();
    }
  }

  private foldedCounter<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fold: (c: Counter<L>) => void,
  ): Counter<L> {
    return new Counter<L>({
      name,
      help,
      labelNames,
      collect() {
        this.reset();
        fold(this);
      },
    });
  }

  countRequest(kind: string, allowed: boolean): void {
    const key = allowed ? kind : `${kind}!`;
    const entry = this.requestCounts.get(key);
    if (entry !== undefined) entry.n++;
    else this.requestCounts.set(key, { kind, decision: allowed ? 'allowed' : 'refused', n: 1 });
  }

  /** An upstream answered its head after `ms`: one comparison a bucket, no allocation. */
  observeUpstream(ms: number): void {
    const seconds = ms / 1000;
    this.latencySum += seconds;
    this.latencyCount++;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++)
      if (seconds <= LATENCY_BUCKETS[i]!) {
        this.latencyCounts[i]!++;
        return;
      }
  }

  /**
   * Writes the plain counts into the histogram's one series before each scrape. prom-client
   * (pinned) has no bulk observe; its series for no labels is the entry under the empty hash.
   */
  private foldLatency(): void {
    const series = (this.upstreamLatency as unknown as { hashMap: Record<string, HistogramSeries> }).hashMap[
      ''
    ];
    if (series === undefined) return;
    LATENCY_BUCKETS.forEach((bound, i) => {
      series.bucketValues[bound] = this.latencyCounts[i]!;
    });
    series.sum = this.latencySum;
    series.count = this.latencyCount;
  }

  upstreamError(type: 'saturated' | 'aborted' | 'reset' | 'timeout' | 'refused'): void {
    this.upstreamErrors.labels(type).inc();
  }

  clientTimeout(type: string): void {
    this.clientTimeouts.labels(type).inc();
  }

  /** Reads the bytes the request buffers hold at every scrape. */
  followBuffers(buffers: { readonly bytesHeld: number; readonly refused: number }): void {
    this.buffers = buffers;
  }

  countDenial(reason: string): void {
    this.denialCounts.set(reason, (this.denialCounts.get(reason) ?? 0) + 1);
  }

  /** Reads the staleness and readiness of this source at every scrape. */
  follow(source: { status(): AllowlistStatus }): void {
    this.source = source;
  }

  countRefusedTarget(reason: string): void {
    this.refusedTargetCounts.set(reason, (this.refusedTargetCounts.get(reason) ?? 0) + 1);
  }

  allowlist(snapshot: AllowlistSnapshot, status: AllowlistStatus | undefined): void {
    this.allowlistVersion.set(snapshot.version);
    this.allowlistEntries.set(snapshot.entries.length);
    const result = status?.lastReloadResult ?? 'applied';
    this.lastReloadSuccess.set(result === 'applied' || result === 'unchanged' ? 1 : 0);
    this.lastReloadTime.set((status?.lastReloadAt ?? snapshot.loadedAt) / 1000);
  }
}

export { register };
