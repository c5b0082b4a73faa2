/**
 * The Redis kind (docs/sources.md "Redis"): `redis://` and `rediss://` URLs, the list a fleet
 * shares, followed by `@corsgate/redis` (pub/sub, resync, slow poll, local cache) and written with
 * its compare-and-set. Sentinel and Cluster (sentinel.ts, cluster.ts) are this same source over
 * another deployment: `@corsgate/redis` picks the connection from the URL. The password never
 * leaves this file in clear: what is printed is `shown`.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  editRedisAllowlist,
  FleetDenied,
  openRedisAllowlist,
  pullRedisAllowlist,
  pushRedisAllowlist,
  shownRedisSource,
} from '@corsgate/redis';
import type { CorsConfigWithoutOrigins } from 'corsgate';
import { type AllowlistEdit, AllowlistError, type AllowlistWatcher, allowlistHash } from 'corsgate/allowlist';
import { RedisAuditTrail } from './audit-redis.js';
import type {
  AuditSink,
  ListSource,
  ListStore,
  ListText,
  OpenSettings,
  PendingAudit,
  SourceKind,
  StoredList,
  WriteOptions,
  WriteResult,
} from './types.js';
import { VersionConflict } from './types.js';
import { APPLY_WAIT_MS, appliedWithin } from './writer.js';

const expecting = (options: WriteOptions) => ({
  ...(options.config === undefined ? {} : { config: options.config }),
  ...(options.expectVersion === undefined ? {} : { expectVersion: options.expectVersion }),
});

/** The node's name in the fleet's audit trail: the host, and the process that wrote. */
export const NODE_NAME = `${hostname()}:${process.pid}`;

export class RedisSource implements ListSource {
  readonly versioned = true;
  readonly cacheable = true;
  readonly shown: string;

  constructor(
    readonly address: string,
    /** `redis`, `redis-sentinel` or `redis-cluster`, as `/allowlist` reports it. */
    readonly kind = 'redis',
  ) {
    this.shown = shownRedisSource(address);
  }

  defaultAuditFile(cwd: string): string {
    // A URL is no directory: the audit file goes to the working directory.
    return resolve(cwd, 'corsgate.audit.jsonl');
  }

  open(config: CorsConfigWithoutOrigins, settings: OpenSettings = {}): Promise<AllowlistWatcher> {
    const tuning = Object.fromEntries(
      Object.entries(settings.tuning ?? {}).filter(([, value]) => value !== undefined),
    );
    return openRedisAllowlist(this.address, {
      config,
      ...(settings.cache === undefined ? {} : { cache: settings.cache }),
      ...tuning,
    });
  }

  async pull(): Promise<StoredList> {
    const stored = await pullRedisAllowlist(this.address);
    if (stored === undefined)
      throw new AllowlistError('CG_ALLOWLIST_MISSING', 'corsgate: nothing was pushed to this source yet');
    return {
      bytes: Buffer.from(stored.text, 'utf8'),
      version: stored.version,
      hash: stored.hash,
      updatedAt: stored.updatedAt,
    };
  }

  push(text: string, options: WriteOptions = {}): Promise<WriteResult> {
    return pushRedisAllowlist(this.address, text, expecting(options));
  }

  edit(change: AllowlistEdit, options: WriteOptions = {}): Promise<WriteResult> {
    return editRedisAllowlist(this.address, change, expecting(options));
  }

  writer(watcher: AllowlistWatcher, config: CorsConfigWithoutOrigins): ListStore {
    return new RedisListStore(this.address, watcher, config);
  }

  audit(file: string): AuditSink {
    // The fleet's stream, written by the write script itself; the local file stays as a copy.
    return new RedisAuditTrail(this.address, file);
  }

  fleetDenied(): FleetDenied {
    return new FleetDenied(this.address).start();
  }
}

/**
 * The Redis writer (docs/sources.md "Writing"): Redis has a compare-and-set of its own, so the
 * check and the write are one atomic step there; every node applies the new version, and this one
 * answers once it has.
 */
class RedisListStore implements ListStore {
  constructor(
    readonly url: string,
    private readonly watcher: AllowlistWatcher,
    private readonly config: CorsConfigWithoutOrigins,
  ) {}

  async read(): Promise<ListText> {
    const stored = await pullRedisAllowlist(this.url);
    const current = this.watcher.current;
    if (stored === undefined) {
      // Nothing stored: a first write when no version is in force either; otherwise Redis lost
      // the list (restarted without persistence, flushed) while this node still enforces it.
      const lost = current.version > 0;
      return {
        text: '',
        version: 0,
        hash: allowlistHash(''),
        inForce: !lost,
        versionInForce: current.version,
        lost,
      };
    }
    return {
      text: stored.text,
      version: stored.version,
      hash: stored.hash,
      inForce: stored.hash === current.hash,
      versionInForce: current.version,
      lost: false,
    };
  }

  async compareAndSet(
    base: ListText,
    expected: number | undefined,
    text: string,
    audit?: PendingAudit,
  ): Promise<number> {
    const current = this.watcher.current.version;
    if (expected !== undefined && expected !== current) throw new VersionConflict(expected, current);
    try {
      // The version read is the one expected in Redis: a writer in between makes this one lose.
      // The audit entry goes into the fleet's stream in the same script as the version.
      await pushRedisAllowlist(this.url, text, {
        config: this.config,
        expectVersion: base.version,
        ...(audit === undefined ? {} : { audit: { node: NODE_NAME, record: audit } }),
      });
    } catch (error) {
      if (error instanceof AllowlistError && error.code === 'CG_ALLOWLIST_CONFLICT')
        throw new VersionConflict(expected ?? base.version, this.watcher.current.version);
      throw error;
    }
    await appliedWithin(this.watcher, allowlistHash(text), APPLY_WAIT_MS);
    return this.watcher.current.version;
  }
}

export const redisKind: SourceKind = {
  schemes: ['redis', 'rediss'],
  create: (address) => new RedisSource(address),
};
