/**
 * The object graph of one worker: the proxy, its WebSocket relay, and the state the admin views
 * read, wired to the allowlist's events. Built once at start; nothing here runs per request.
 */
import type { FleetDenied } from '@corsgate/redis';
import { formatAllowlistIssue } from 'corsgate/allowlist';
import type { Logger } from 'pino';
import type { AdminBackend } from '../admin/admin.js';
import type { GatewayConfig } from '../config/types.js';
import { AccessLog } from '../server/access-log.js';
import type { AllowlistEvent, AllowlistWatcher } from '../server/allowlist.js';
import { Candidate, type RecordedTraffic } from '../server/candidate.js';
import { DeniedTable } from '../server/denied.js';
import { createLogger } from '../server/log.js';
import { Metrics } from '../server/metrics.js';
import { GatewayProxy } from '../server/proxy.js';
import { SeenOrigins } from '../server/seen.js';
import { WebSocketProxy } from '../websocket/proxy.js';
import { fleetDenied, localAdminBackend } from './admin-backends.js';

/** What one worker runs: the proxy, its WebSocket relay, and the state the admin views read. */
export interface WorkerParts {
  readonly logger: Logger;
  readonly denied: DeniedTable;
  readonly fleet: FleetDenied | undefined;
  readonly candidate: Candidate;
  readonly proxy: GatewayProxy;
  readonly websockets: WebSocketProxy;
  readonly local: AdminBackend;
}

export async function assembleWorker(config: GatewayConfig, watcher: AllowlistWatcher): Promise<WorkerParts> {
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  const denied = new DeniedTable(1000);
  const fleet = fleetDenied(config);
  if (fleet !== undefined) denied.onRecord = (origin, reason) => fleet.count(origin, reason);
  const access = config.accessLog ? new AccessLog() : undefined;
  const seen = new SeenOrigins();
  const candidate = await openCandidate(config, logger, { seen, inForce: () => watcher.current.policy });
  const proxy = new GatewayProxy({ config, watcher, metrics, denied, logger, access, seen, candidate });
  proxy.prepare(watcher.current);
  // The upgrade is decided by the same step as every HTTP request, and refusals recorded alike.
  const websockets = new WebSocketProxy({
    config,
    metrics,
    logger,
    decide: (req) => proxy.decideUpgrade(req),
    deny: (req, path, decision) => proxy.denials.record(req, path, decision),
    access,
  });
  watchEvents(watcher, proxy, websockets, metrics, logger);
  const local = localAdminBackend(config, watcher, denied, fleet, { seen, candidate });
  return { logger, denied, fleet, candidate, proxy, websockets, local };
}

/** The candidate list of `--candidate-allowlist FILE`; one that cannot be opened is logged and left out. */
async function openCandidate(
  config: GatewayConfig,
  logger: Logger,
  recorded: RecordedTraffic,
): Promise<Candidate> {
  const candidate = new Candidate(config.policy, recorded);
  if (config.candidateAllowlist === undefined) return candidate;
  try {
    await candidate.watchFile(config.candidateAllowlist);
  } catch (error) {
    logger.error(
      { event: 'candidate-rejected', path: config.candidateAllowlist, message: (error as Error).message },
      'the candidate list cannot be used; no candidate is evaluated',
    );
  }
  return candidate;
}

/** Metrics and log lines for every allowlist event; a new version re-decides open WebSockets. */
function watchEvents(
  watcher: AllowlistWatcher,
  proxy: GatewayProxy,
  websockets: WebSocketProxy,
  metrics: Metrics,
  logger: Logger,
): void {
  metrics.follow(watcher);
  metrics.allowlist(watcher.current, watcher.status());
  watcher.on((event: AllowlistEvent) => {
    const status = watcher.status();
    metrics.allowlist(watcher.current, status);
    switch (event.type) {
      case 'reloaded':
      case 'recovered':
        // Open WebSockets are re-decided once the route policies for the new version are in.
        void proxy.routes.prepareAsync(event.snapshot).then(() => websockets.revalidate());
        logger.info(
          {
            event: 'allowlist-applied',
            version: event.snapshot.version,
            entries: event.snapshot.entries.length,
            warnings: event.snapshot.warnings.length,
          },
          'allowlist applied',
        );
        return;
      case 'rejected':
        metrics.reloadFailures.labels('rejected').inc();
        logger.error(
          {
            event: 'allowlist-rejected',
            version: watcher.current.version,
            errors: event.errors.map((e) => formatAllowlistIssue(e, status.path)),
          },
          'allowlist has errors; the last good version stays in force',
        );
        return;
      case 'missing':
      case 'unreadable':
      case 'unreachable':
        metrics.reloadFailures.labels(event.type).inc();
        logger.error({ event: `allowlist-${event.type}`, version: watcher.current.version }, event.message);
        return;
      default:
        return;
    }
  });
}
