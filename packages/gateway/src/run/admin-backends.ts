/**
 * The two admin backends (docs/gateway.md "Admin listener"): a process's own (its watcher, denied
 * table, seen origins, candidate) and the cluster primary's, which asks every worker over IPC and
 * merges their answers.
 */
import type { FleetDenied } from '@corsgate/redis';
import type { AllowlistIssue } from 'corsgate/allowlist';
import { AggregatorRegistry } from 'prom-client';
import type { AdminBackend } from '../admin/admin.js';
import type { CandidateControl } from '../admin/context.js';
import { ListWrites } from '../admin/writes.js';
import type { GatewayConfig } from '../config/types.js';
import { type AllowlistWatcher, sourceReady } from '../server/allowlist.js';
import type { Candidate } from '../server/candidate.js';
import { type DeniedTable, type DeniedView, mergeDenied, viewDenied } from '../server/denied.js';
import { register } from '../server/metrics.js';
import type { SeenOrigins } from '../server/seen.js';
import { sourceFor } from '../sources/index.js';
import { allowlistStatusView, allowlistView, reloadView } from '../views/allowlist.js';
import type { WorkerChannel } from './channel.js';
import { mergeCandidate, mergeOrigins } from './merge.js';

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
    ...(candidate === undefined ? {} : { candidate: candidateBackend(candidate) }),
    ready: async () => readiness(watcher),
    reload: async () => reloadView(await watcher.reload({ force: true }), watcher),
    allowlist: async () => allowlistView(watcher),
    status: async () => allowlistStatusView(watcher),
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

function candidateBackend(candidate: Candidate): NonNullable<AdminBackend['candidate']> {
  return {
    view: async () => candidate.view(),
    text: () => candidate.text(),
    stage: async (text: string) => candidate.stage(text),
    drop: async () => candidate.drop(),
    promoted: async () => candidate.promoted(),
  };
}

/**
 * The candidate in a cluster: staged, dropped and marked promoted in every worker (each evaluates
 * it over its own traffic), its view their merged reports (docs/gateway.md "Workers"). The primary
 * keeps the staged text, so a worker started after a crash is given it as soon as it listens: the
 * candidate survives a worker restart.
 */
function clusterCandidate(channel: WorkerChannel): CandidateControl {
  let staged: string | undefined;
  channel.onListening((worker) => {
    if (staged !== undefined) void channel.ask(worker, 'candidate-stage', { text: staged });
  });
  const first = async (op: string): Promise<unknown> => {
    const all = channel.workers();
    return all.length === 0 ? undefined : channel.ask(all[0]!, op);
  };
  return {
    view: async () => mergeCandidate(await channel.askAll('candidate-view')),
    text: async () => {
      const text = await first('candidate-text');
      return typeof text === 'string' ? text : undefined;
    },
    stage: async (text: string) => {
      staged = text;
      const answers = await channel.askAll('candidate-stage', { text });
      const errors = answers.find(Array.isArray) as AllowlistIssue[] | undefined;
      return errors ?? [];
    },
    drop: async () => {
      staged = undefined;
      await channel.askAll('candidate-drop');
    },
    promoted: async () => {
      await channel.askAll('candidate-promoted');
    },
  };
}

/**
 * The admin views of a cluster: each one asks the workers and merges their answers. `watcher`,
 * when given, is the primary's own view of the list: admin writes go through it (then every worker
 * re-reads before the answer), and explain reads it.
 */
export function primaryBackend(
  config: GatewayConfig,
  channel: WorkerChannel,
  fleet: FleetDenied | undefined,
  watcher?: AllowlistWatcher,
): AdminBackend {
  const aggregator = new AggregatorRegistry();
  return {
    ...(fleet === undefined ? {} : { fleetDenied: (limit: number) => fleetView(fleet, limit) }),
    origins: async (limit: number) => mergeOrigins(await channel.askAll('origins', { limit }), limit),
    candidate: clusterCandidate(channel),
    ready: async () => {
      // Ready when every worker listens and has a version of the allowlist in force.
      const answers = (await channel.askAll('ready')) as { ready?: boolean }[];
      const sourced = answers.filter((a) => a.ready === true).length;
      const ready = channel.listening.size === config.workers && sourced === config.workers;
      return {
        ready,
        detail: {
          ...(watcher === undefined ? {} : { version: watcher.current.version }),
          workers: config.workers,
          listening: channel.listening.size,
          ready: sourced,
        },
      };
    },
    reload: async () => {
      await watcher?.reload({ force: true });
      return { workers: listVersions(await channel.askAll('reload'), watcher) };
    },
    // The primary's view is the list's: its version is the one writes and the audit log name
    // (docs/console.md "Versions"); a worker's own counter is never shown.
    allowlist: async () => {
      if (watcher !== undefined) return allowlistView(watcher);
      const all = channel.workers();
      return all.length === 0
        ? { error: 'no worker running' }
        : ((await channel.ask(all[0]!, 'allowlist')) as object);
    },
    ...(watcher === undefined ? {} : { status: async () => allowlistStatusView(watcher) }),
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
 * Each worker's reload answer with the list's version: the primary's number for the same text
 * (the hash), or null with `applied: false` while the worker holds another one.
 */
function listVersions(answers: unknown[], watcher: AllowlistWatcher | undefined): unknown[] {
  if (watcher === undefined) return answers;
  const { version, hash } = watcher.current;
  return answers.map((a) => {
    const applied = (a as { hash?: unknown }).hash === hash;
    return { ...(a as object), version: applied ? version : null, applied };
  });
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
export function fleetDenied(config: GatewayConfig): FleetDenied | undefined {
  return sourceFor(config.allowlist).fleetDenied();
}

/** `/ready`: a node is ready once its allowlist source has a version in force. */
export function readiness(watcher: AllowlistWatcher): { ready: boolean; detail: object } {
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
