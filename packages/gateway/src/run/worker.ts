/**
 * The worker lifecycle: serve traffic (and, in a single process, the admin listener), answer the
 * cluster primary over IPC, and drain on SIGTERM/SIGINT or when the primary says so
 * (docs/gateway.md "Shutdown").
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { GatewayConfig } from '../config/types.js';
import type { AllowlistWatcher } from '../server/allowlist.js';
import { viewDenied } from '../server/denied.js';
import { createTrafficListener } from '../server/listener.js';
import { readiness } from './admin-backends.js';
import { assembleWorker, type WorkerParts } from './graph.js';
import { closeAdmin, closeServer, listen, startAdmin, urlOf } from './listen.js';

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_IDLE_SWEEP_MS = 100;
/** How long the upstream pool gets to close once the listeners are closed. */
const POOL_CLOSE_MS = 1_000;

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
  // A busy admin port is the operator's to fix (exit 2): the traffic listener must not outlive it.
  const admin = options.admin
    ? await startAdmin(config, parts.local).catch((error: unknown) => {
        traffic.server.close();
        throw error;
      })
    : undefined;
  logger.info(
    {
      event: cluster.isWorker ? 'worker-listening' : 'listening',
      url,
      admin: admin?.url ?? null,
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
      const outcome = await drainWorker(config, watcher, parts, traffic, admin?.server);
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
  const idle = setInterval(() => traffic.closeIdle(), DRAIN_IDLE_SWEEP_MS);
  const deadline = new Promise<'timeout'>((r) =>
    setTimeout(() => r('timeout'), config.shutdownTimeoutMs).unref(),
  );
  const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
  clearInterval(idle);
  if (outcome === 'timeout') {
    logger.warn({ event: 'shutdown-timeout' }, 'in-flight requests did not finish in time; closing them');
    traffic.closeAll();
  }
  await closeAdmin(admin === undefined ? undefined : { server: admin });
  await Promise.race([proxy.close(), new Promise((r) => setTimeout(r, POOL_CLOSE_MS).unref())]);
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
