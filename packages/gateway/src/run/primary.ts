/**
 * The cluster primary (`--workers N`): forks the workers and restarts one that exits, runs the
 * admin listener over their merged views, and relays signals to them (docs/gateway.md "Workers").
 */
import cluster from 'node:cluster';
import type { GatewayConfig } from '../config/types.js';
import type { AllowlistWatcher } from '../server/allowlist.js';
import { createLogger } from '../server/log.js';
import { fleetDenied, primaryBackend } from './admin-backends.js';
import { WorkerChannel } from './channel.js';
import { closeAdmin, startAdmin } from './listen.js';

/** A worker that exits is replaced after this pause (a crash loop cannot spin the CPU). */
const RESTART_PAUSE_MS = 500;
/** Workers still running this long after their own drain deadline are killed. */
const KILL_GRACE_MS = 3_000;

/**
 * Runs the primary until SIGTERM/SIGINT and every worker has stopped. `watcher`, when given, is
 * the primary's own view of the list: admin writes go through it (then every worker re-reads
 * before the answer), and explain reads it.
 */
export async function runPrimary(config: GatewayConfig, watcher?: AllowlistWatcher): Promise<number> {
  const logger = createLogger(config.logLevel);
  let stopping = false;
  let adminUrl: string | undefined;
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
  const admin = await startAdmin(config, primaryBackend(config, channel, fleet, watcher));
  adminUrl = admin?.url;

  return new Promise<number>((resolveExit) => {
    cluster.on('exit', (worker, code, signal) => {
      channel.listening.delete(worker.id);
      if (stopping) {
        if (channel.workers().length === 0) void finish();
        return;
      }
      logger.error({ event: 'worker-exit', code, signal }, 'worker exited; starting another');
      setTimeout(() => channel.fork(), RESTART_PAUSE_MS).unref();
    });
    for (let i = 0; i < config.workers; i++) channel.fork();

    const finish = async (): Promise<void> => {
      await closeAdmin(admin);
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
      setTimeout(() => {
        for (const w of channel.workers()) w.process.kill('SIGKILL');
      }, config.shutdownTimeoutMs + KILL_GRACE_MS).unref();
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
