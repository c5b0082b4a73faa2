/**
 * Running the gateway: one process (traffic + admin listeners), or with --workers a cluster
 * primary (admin listener, signals, IPC) and N workers (traffic listener each, sharing the port,
 * each watching the same allowlist file).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetDenied } from '@corsgate/redis';
import { formatAllowlistIssue } from 'corsgate/allowlist';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { type AdminBackend, createAdminServer } from '../admin/admin.js';
import { AdminAuth } from '../admin/guard.js';
import { isLoopbackHost } from '../admin/tokens.js';
import { ListWrites } from '../admin/writes.js';
import type { GatewayConfig } from '../config/types.js';
import { sourceFor } from '../sources/index.js';
import { WebSocketProxy } from '../websocket/proxy.js';
import { AccessLog } from './access-log.js';
import { type AllowlistEvent, type AllowlistWatcher, sourceReady } from './allowlist.js';
import { Candidate } from './candidate.js';
import { DeniedTable, type DeniedView, mergeDenied, viewDenied } from './denied.js';
import { createTrafficListener } from './listener.js';
import { createLogger } from './log.js';
import { Metrics, register } from './metrics.js';
import { GatewayProxy } from './proxy.js';
import { SeenOrigins } from './seen.js';
import { allowlistView, reloadView } from './views.js';

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function urlOf(scheme: string, a: AddressInfo): string {
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

function adminAuth(config: GatewayConfig): AdminAuth {
  return new AdminAuth(config.adminTokens, isLoopbackHost(config.adminHost));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

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

/** The candidate list of `--candidate-allowlist FILE`; one that cannot be opened is logged and left out. */
async function openCandidate(config: GatewayConfig, logger: Logger): Promise<Candidate> {
  const candidate = new Candidate(config.policy);
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

/** The admin backend of one process: its own watcher, denied table and the file's writer. */
export function localAdminBackend(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  denied: DeniedTable,
  fleet?: FleetDenied,
  extra: { seen?: SeenOrigins; candidate?: Candidate } = {},
): AdminBackend {
  const { seen, candidate } = extra;
  return {
    ...(fleet === undefined ? {} : { fleetDenied: (limit: number) => fleetView(fleet, limit) }),
    ...(seen === undefined
      ? {}
      : { origins: async (limit: number) => ({ evicted: seen.evicted, origins: seen.list(limit) }) }),
    ...(candidate === undefined
      ? {}
      : {
          candidate: {
            view: () => candidate.view(),
            text: () => candidate.text(),
            stage: (text: string) => candidate.stage(text),
            drop: () => candidate.drop(),
            promoted: () => candidate.promoted(),
          },
        }),
    ready: async () => readiness(watcher),
    reload: async () => reloadView(await watcher.reload({ force: true }), watcher),
    allowlist: async () => allowlistView(watcher),
    denied: async (limit) => ({
      evicted: denied.evicted,
      capacity: denied.capacity,
      origins: viewDenied(denied.list(limit)),
    }),
    metrics: async () => ({ contentType: register.contentType, body: await register.metrics() }),
    writes: listWrites(config, watcher),
    snapshot: () => watcher.current,
  };
}

/** Admin writes to the source in force (docs/console.md "Writes"), audited. */
function listWrites(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  afterWrite?: () => Promise<unknown>,
): ListWrites {
  const source = sourceFor(config.allowlist);
  const store = source.writer(watcher, config.policy);
  return new ListWrites(store, source.audit(config.auditFile), config.policy, afterWrite);
}

/** `/denied?scope=fleet`: what every node sharing the Redis source refused (docs/sources.md "Fleet view"). */
async function fleetView(fleet: FleetDenied, limit: number): Promise<object> {
  await fleet.flush();
  return {
    scope: 'fleet',
    capacity: fleet.capacity,
    dropped: fleet.dropped,
    origins: await fleet.read(limit),
  };
}

/** With a Redis source, the nodes share their refused-origin counts through it. */
function fleetDenied(config: GatewayConfig): FleetDenied | undefined {
  return sourceFor(config.allowlist).fleetDenied();
}

/** `/ready`: a node is ready once its allowlist source has a version in force. */
function readiness(watcher: AllowlistWatcher): { ready: boolean; detail: object } {
  const status = watcher.status();
  return {
    ready: sourceReady(watcher),
    detail: {
      version: watcher.current.version,
      ...(status.staleSince === undefined ? {} : { staleSince: new Date(status.staleSince).toISOString() }),
      ...(sourceReady(watcher)
        ? {}
        : { reason: status.lastReadError?.message ?? 'no version of the allowlist yet' }),
    },
  };
}

/** Signals that arrive while starting are held, not lost to the default action (exit by signal). */
function holdEarlySignals(): () => string | undefined {
  let early: string | undefined;
  const term = (): void => {
    early ??= 'SIGTERM';
  };
  const int = (): void => {
    early ??= 'SIGINT';
  };
  process.on('SIGTERM', term);
  process.on('SIGINT', int);
  return () => {
    process.off('SIGTERM', term);
    process.off('SIGINT', int);
    return early;
  };
}

/** What one worker runs: the proxy, its WebSocket relay, and the state the admin views read. */
interface WorkerParts {
  readonly logger: Logger;
  readonly denied: DeniedTable;
  readonly fleet: FleetDenied | undefined;
  readonly candidate: Candidate;
  readonly proxy: GatewayProxy;
  readonly websockets: WebSocketProxy;
  readonly local: AdminBackend;
}

async function assembleWorker(config: GatewayConfig, watcher: AllowlistWatcher): Promise<WorkerParts> {
  const logger = createLogger(config.logLevel);
  const metrics = new Metrics();
  const denied = new DeniedTable(1000);
  const fleet = fleetDenied(config);
  if (fleet !== undefined) denied.onRecord = (origin, reason) => fleet.count(origin, reason);
  const access = config.accessLog ? new AccessLog() : undefined;
  const seen = new SeenOrigins();
  const candidate = await openCandidate(config, logger);
  const proxy = new GatewayProxy({ config, watcher, metrics, denied, logger, access, seen, candidate });
  proxy.routes.prepare(watcher.current);
  const websockets = new WebSocketProxy({
    config,
    metrics,
    logger,
    decide: (req) => proxy.decideUpgrade(req),
    deny: (req, path, decision) => proxy.deny(req, path, decision),
    access,
  });
  watchEvents(watcher, proxy, websockets, metrics, logger);
  const local = localAdminBackend(config, watcher, denied, fleet, { seen, candidate });
  return { logger, denied, fleet, candidate, proxy, websockets, local };
}

/**
 * Stops taking requests, lets in-flight ones finish until the shutdown deadline (then closes them),
 * and releases every listener, pool and source the worker holds.
 */
async function drainWorker(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  parts: WorkerParts,
  traffic: ReturnType<typeof createTrafficListener>,
  admin: Server | undefined,
): Promise<'drained' | 'timeout'> {
  const { proxy, websockets, logger } = parts;
  proxy.draining = true;
  // Upgraded sockets count as the server's connections: close them (1001) so close() can end.
  websockets.closeAll();
  const closed = closeServer(traffic.server);
  traffic.closeIdle();
  const idle = setInterval(() => traffic.closeIdle(), 100);
  const deadline = new Promise<'timeout'>((r) =>
    setTimeout(() => r('timeout'), config.shutdownTimeoutMs).unref(),
  );
  const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
  clearInterval(idle);
  if (outcome === 'timeout') {
    logger.warn({ event: 'shutdown-timeout' }, 'in-flight requests did not finish in time; closing them');
    traffic.closeAll();
  }
  if (admin !== undefined) {
    admin.closeAllConnections();
    await closeServer(admin);
  }
  await Promise.race([proxy.close(), new Promise((r) => setTimeout(r, 1000).unref())]);
  await watcher.close();
  await parts.fleet?.close();
  await parts.candidate.close();
  return outcome;
}

/** Answers the cluster primary's requests (admin views, reload, shutdown) over IPC. */
function primaryRequests(
  watcher: AllowlistWatcher,
  parts: WorkerParts,
  shutdown: (signal: string) => void,
): (message: unknown) => void {
  return (message) => {
    const m = message as { cg?: string; id?: number; op?: string; limit?: number };
    if (m?.cg !== 'req' || process.send === undefined) return;
    const reply = (result: unknown): void => {
      process.send?.({ cg: 'res', id: m.id, result });
    };
    switch (m.op) {
      case 'shutdown':
        shutdown('primary');
        return;
      case 'reload':
        void parts.local.reload().then(reply);
        return;
      case 'allowlist':
        void parts.local.allowlist().then(reply);
        return;
      case 'denied':
        reply(viewDenied(parts.denied.list(m.limit ?? 100)));
        return;
      case 'ready':
        reply(readiness(watcher));
        return;
    }
  };
}

/** Serves traffic in this process. Resolves once shut down (SIGTERM/SIGINT, or the primary says so). */
export async function runWorker(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  options: { admin: boolean },
): Promise<number> {
  const releaseEarlySignals = holdEarlySignals();
  const parts = await assembleWorker(config, watcher);
  const { logger, proxy, websockets } = parts;
  const traffic = createTrafficListener(config, proxy.handle, websockets.handle);
  const address = await listen(traffic.server, config.port, config.host);
  const url = urlOf(config.tls === undefined ? 'http' : 'https', address);

  let admin: Server | undefined;
  let adminUrl: string | undefined;
  if (options.admin && config.adminPort !== 0) {
    admin = createAdminServer(parts.local, adminAuth(config), [
      config.adminHost,
      ...config.adminAllowedHosts,
    ]);
    adminUrl = urlOf('http', await listen(admin, config.adminPort, config.adminHost));
  }
  logger.info(
    {
      event: cluster.isWorker ? 'worker-listening' : 'listening',
      url,
      admin: adminUrl ?? null,
      upstream: config.upstream + config.upstreamPath,
      protocols: traffic.protocols,
      version: watcher.current.version,
    },
    `corsgate listening on ${url}`,
  );

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const shutdown = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'shutdown', signal }, 'draining in-flight requests');
      const outcome = await drainWorker(config, watcher, parts, traffic, admin);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
      process.off('message', onMessage);
      logger.info({ event: 'stopped', outcome }, 'stopped');
      logger.flush();
      resolveExit(0);
    };
    const onTerm = (): void => void shutdown('SIGTERM');
    const onInt = (): void => void shutdown('SIGINT');
    const onHup = (): void => {
      logger.info({ event: 'sighup' }, 'SIGHUP: re-reading the allowlist');
      void watcher.reload({ force: true });
    };
    const onMessage = primaryRequests(watcher, parts, (signal) => void shutdown(signal));
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const earlySignal = releaseEarlySignals();
    if (earlySignal !== undefined) void shutdown(earlySignal);
    if (cluster.isPrimary) process.on('SIGHUP', onHup);
    else process.on('SIGHUP', () => undefined);
    process.on('message', onMessage);
    if (cluster.isWorker) process.send?.({ cg: 'listening', url, version: watcher.current.version });
  });
}

/** The primary's line to its workers: fork them, list them, ask one a question over IPC. */
class WorkerChannel {
  readonly listening = new Map<number, string>();
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  constructor(
    private readonly onAllListening: (url: string) => void,
    private readonly count: number,
  ) {}

  workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  }

  /** Asks a worker; an answer that does not come within 5 s resolves to an error object. */
  ask(worker: Worker, op: string, extra: object = {}): Promise<unknown> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: 'worker did not answer' });
      }, 5_000);
      timer.unref();
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.send({ cg: 'req', id, op, ...extra });
    });
  }

  askAll(op: string, extra: object = {}): Promise<unknown[]> {
    return Promise.all(this.workers().map((w) => this.ask(w, op, extra)));
  }

  fork(): void {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      const m = message as { cg?: string; id?: number; result?: unknown; url?: string };
      if (m?.cg === 'res' && m.id !== undefined) this.pending.get(m.id)?.(m.result);
      else if (m?.cg === 'listening' && m.url !== undefined) {
        this.listening.set(worker.id, m.url);
        if (this.listening.size === this.count) this.onAllListening(m.url);
      }
    });
  }
}

/** The admin views of a cluster: each one asks the workers and merges their answers. */
function primaryBackend(
  config: GatewayConfig,
  channel: WorkerChannel,
  fleet: FleetDenied | undefined,
  watcher?: AllowlistWatcher,
): AdminBackend {
  const aggregator = new AggregatorRegistry();
  return {
    ...(fleet === undefined ? {} : { fleetDenied: (limit: number) => fleetView(fleet, limit) }),
    ready: async () => {
      // Ready when every worker listens and has a version of the allowlist in force.
      const answers = (await channel.askAll('ready')) as { ready?: boolean }[];
      const sourced = answers.filter((a) => a.ready === true).length;
      const ready = channel.listening.size === config.workers && sourced === config.workers;
      return {
        ready,
        detail: { workers: config.workers, listening: channel.listening.size, ready: sourced },
      };
    },
    reload: async () => ({ workers: await channel.askAll('reload') }),
    // Every worker reads the same file; the first one's view stands for all (versions count per worker).
    allowlist: async () => {
      const all = channel.workers();
      return all.length === 0
        ? { error: 'no worker running' }
        : ((await channel.ask(all[0]!, 'allowlist')) as object);
    },
    denied: async (limit) => {
      const lists = (await channel.askAll('denied', { limit })) as DeniedView[][];
      return { origins: mergeDenied(lists.filter(Array.isArray), limit) };
    },
    metrics: async () => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() }),
    ...(watcher === undefined
      ? {}
      : {
          writes: listWrites(config, watcher, () => channel.askAll('reload')),
          snapshot: () => watcher.current,
        }),
  };
}

/**
 * The cluster primary: forks workers, runs the admin listener, relays signals. `watcher`, when given,
 * is the primary's own view of the list: admin writes go through it (then every worker re-reads
 * before the answer), and explain reads it.
 */
export async function runPrimary(config: GatewayConfig, watcher?: AllowlistWatcher): Promise<number> {
  const logger = createLogger(config.logLevel);
  let stopping = false;
  const channel = new WorkerChannel(
    (url) =>
      logger.info(
        { event: 'listening', url, admin: adminUrl ?? null, workers: config.workers },
        `corsgate listening on ${url} with ${config.workers} workers`,
      ),
    config.workers,
  );
  // The primary counts nothing itself; it reads the fleet's counts the workers add.
  const fleet = fleetDenied(config);
  const backend = primaryBackend(config, channel, fleet, watcher);

  let admin: Server | undefined;
  let adminUrl: string | undefined;
  if (config.adminPort !== 0) {
    admin = createAdminServer(backend, adminAuth(config), [config.adminHost, ...config.adminAllowedHosts]);
    adminUrl = urlOf('http', await listen(admin, config.adminPort, config.adminHost));
  }

  return new Promise<number>((resolveExit) => {
    cluster.on('exit', (worker, code, signal) => {
      channel.listening.delete(worker.id);
      if (stopping) {
        if (channel.workers().length === 0) void finish();
        return;
      }
      logger.error({ event: 'worker-exit', code, signal }, 'worker exited; starting another');
      setTimeout(() => channel.fork(), 500).unref();
    });
    for (let i = 0; i < config.workers; i++) channel.fork();

    const finish = async (): Promise<void> => {
      if (admin !== undefined) {
        admin.closeAllConnections();
        await closeServer(admin);
      }
      await fleet?.close();
      await watcher?.close();
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onTerm);
      process.off('SIGHUP', onHup);
      logger.info({ event: 'stopped' }, 'stopped');
      resolveExit(0);
    };
    const onTerm = (): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'shutdown' }, 'stopping workers');
      const all = channel.workers();
      if (all.length === 0) void finish();
      for (const w of all) w.send({ cg: 'req', id: 0, op: 'shutdown' });
      // Bounded: workers still running after their own drain deadline are killed.
      setTimeout(() => {
        for (const w of channel.workers()) w.process.kill('SIGKILL');
      }, config.shutdownTimeoutMs + 3_000).unref();
    };
    const onHup = (): void => {
      logger.info({ event: 'sighup' }, 'SIGHUP: workers re-read the allowlist');
      void channel.askAll('reload');
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onTerm);
    process.on('SIGHUP', onHup);
  });
}
