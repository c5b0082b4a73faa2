/**
 * The Redis allowlist source (docs/sources.md): every node of a fleet follows one list kept in
 * Redis. A node learns of a new version by pub/sub (the write announces it in the same atomic
 * step), resyncs whenever its connection comes back, and polls the version number slowly for a
 * notice it missed. No request ever touches Redis: versions are parsed and compiled in slices and
 * swapped in whole, exactly like the file's (`AllowlistSourceBase`). When Redis cannot be reached
 * the last good version stays in force and the status says since when it is stale.
 */
import { readFile } from 'node:fs/promises';
import { ErrorReply } from '@redis/client';
import {
  type AllowlistEvent,
  type AllowlistIssue,
  AllowlistSourceBase,
  type AllowlistSourceOptions,
  allowlistHash,
  writeFileAtomic,
} from 'corsgate/allowlist';
import { excerpt } from 'corsgate/internal';
import { Connection } from './connection.js';
import { channelOf, type InvalidRecord, readStoredBytes, readVersion, type StoredBytes } from './data.js';
import { parseRedisSource, type RedisTarget } from './url.js';

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;
export const DEFAULT_START_TIMEOUT_MS = 3_000;
export const DEFAULT_RECONNECT_MAX_MS = 2_000;

export interface RedisAllowlistOptions extends AllowlistSourceOptions {
  /**
   * A local file where each applied version is written (atomically), and from which a node that
   * starts while Redis is down takes its first version (`--allowlist-cache`). Without one, such a
   * node allows no origin and is not ready until Redis answers.
   */
  readonly cache?: string;
  /** The slow poll of the version number, for a missed notice. Default 5000 ms. */
  readonly pollIntervalMs?: number;
  /** A Redis command that has not answered after this long counts as Redis unreachable. Default 2000 ms. */
  readonly commandTimeoutMs?: number;
  /** How long `openRedisAllowlist` waits for Redis before using the cache. Default 3000 ms. */
  readonly startTimeoutMs?: number;
  /** Longest wait between reconnection attempts (they back off from 50 ms). Default 2000 ms. */
  readonly reconnectMaxMs?: number;
}

/** What the cache file holds: one version as it was in Redis. */
interface CacheFile {
  readonly version: number;
  readonly hash: string;
  readonly text: string;
}

export class RedisAllowlistSource extends AllowlistSourceBase {
  private readonly target: RedisTarget;
  private readonly client: Connection;
  private readonly cachePath: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly commandTimeoutMs: number;
  private pollTimer: NodeJS.Timeout | undefined;
  /**
   * The version field last read from Redis, as stored (applied or rejected; null: nothing pushed):
   * a notice or a poll that shows the same needs no read.
   */
  private seenVersion: string | null | undefined;
  private inFlight: Promise<AllowlistEvent> | undefined;
  private again = false;

  constructor(source: string, options: RedisAllowlistOptions = {}) {
    const target = parseRedisSource(source);
    super('redis', target.display, 'pubsub+poll', options);
    this.target = target;
    this.cachePath = options.cache;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.client = new Connection(
      target,
      {
        connectTimeoutMs: this.commandTimeoutMs,
        reconnectMaxMs: options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS,
        // Keep trying for as long as the node runs: Redis coming back is the normal end of an outage.
        persistent: true,
      },
      {
        error: (error) => this.unreachableNow(error),
        // A (re)connection or a new master (a failover): notices sent meanwhile are lost
        // (pub/sub is fire-and-forget), so read the stored version and apply it if it is newer.
        resync: () => {
          this.markReachable();
          void this.refresh(false);
        },
      },
    );
  }

  private unreachableNow(error: Error): void {
    if (this.closed) return;
    this.markUnreachable(
      `corsgate: Redis at ${this.target.display} cannot be reached (${error.message}); the last good version (${this.current.version}) stays in force`,
    );
  }

  /** Connects and applies the first version, or falls back on the cache after `startTimeoutMs`. */
  async start(startTimeoutMs: number): Promise<void> {
    const first = new Promise<void>((resolve) => {
      const off = this.on((event) => {
        if (event.type === 'reloaded' || event.type === 'rejected' || event.type === 'missing') {
          off();
          resolve();
        }
      });
      setTimeout(resolve, startTimeoutMs).unref();
    });
    void this.client
      .subscribe(channelOf(this.target.key), (message) => this.notice(message))
      .catch(() => undefined);
    void this.client.connect();
    await first;
    if (!this.ready && this.cachePath !== undefined) await this.loadCache(this.cachePath);
    this.armPoll();
  }

  /** A version was announced: read it unless it is the one already seen. */
  private notice(message: string): void {
    if (message !== this.seenVersion) void this.refresh(false);
  }

  /** Reads the stored version and applies it; one read at a time, coalescing the requests. */
  protected refresh(force: boolean): Promise<AllowlistEvent> {
    if (this.inFlight !== undefined && !force) {
      this.again = true;
      return this.inFlight;
    }
    const run = (async (): Promise<AllowlistEvent> => {
      let event: AllowlistEvent;
      do {
        this.again = false;
        event = await this.readAndApply(force);
      } while (this.again && !this.closed);
      return event;
    })();
    this.inFlight = run;
    void run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    return run;
  }

  private async readAndApply(force: boolean): Promise<AllowlistEvent> {
    let stored: StoredBytes | InvalidRecord | undefined;
    try {
      stored = await readStoredBytes(this.client, this.target.key, this.commandTimeoutMs);
    } catch (error) {
      if (error instanceof ErrorReply) return this.unreadable(error, force);
      return this.markUnreachable(
        `corsgate: Redis at ${this.target.display} did not answer (${(error as Error).message}); the last good version (${this.current.version}) stays in force`,
      );
    }
    this.markReachable();
    if (stored === undefined) {
      this.seenVersion = null;
      return this.markMissing(
        `corsgate: nothing was pushed to ${this.target.display} yet (corsgate allowlist push FILE --to URL)`,
        undefined,
        force,
      );
    }
    if ('invalid' in stored) {
      this.seenVersion = undefined; // not a version: every notice and poll reads again
      return this.reject([recordInvalid(this.target.display, stored.invalid)], stored.fingerprint, force);
    }
    this.seenVersion = String(stored.version);
    // Assembling the reply (a 100,000-line list is ~4 MB), hashing it and the parse's first slice
    // are each a few ms: give the event loop a turn between them, or together with a garbage
    // collection they make one stall past the 20 ms promise (docs/sources.md "Speed").
    await turn();
    const hash = allowlistHash(stored.bytes);
    await turn();
    if (this.closed) return { type: 'unchanged', forced: force };
    if (hash !== stored.hash) return this.reject([hashMismatch(stored)], hash, force);
    const event = await this.apply({ text: stored.bytes, version: stored.version, hash }, force);
    if (event.type === 'reloaded' && this.cachePath !== undefined)
      await this.writeCache(this.cachePath, stored);
    return event;
  }

  /** Redis answered with an error (the key holds another type, an ACL refuses the read): reachable, unreadable. */
  private unreadable(error: ErrorReply, force: boolean): AllowlistEvent {
    this.markReachable();
    this.seenVersion = undefined;
    const code = /^[A-Z]+/.exec(error.message)?.[0] ?? 'ERR';
    return this.markUnreadable(
      code,
      `corsgate: Redis at ${this.target.display} refused to read the list (${excerpt(error.message)}); the last good version (${this.current.version}) stays in force`,
      undefined,
      force,
    );
  }

  private async writeCache(path: string, stored: StoredBytes): Promise<void> {
    const cache: CacheFile = {
      version: stored.version,
      hash: stored.hash,
      text: stored.bytes.toString('utf8'),
    };
    try {
      await writeFileAtomic(path, `${JSON.stringify(cache)}\n`);
    } catch {
      // The cache only helps a later start while Redis is down; failing to write it changes no
      // decision now. The next applied version tries again.
    }
  }

  /** Applies the cached version; a cache that does not parse or whose hash is wrong is ignored. */
  private async loadCache(path: string): Promise<void> {
    let cache: CacheFile;
    try {
      cache = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
    } catch {
      return;
    }
    if (typeof cache.text !== 'string' || allowlistHash(cache.text) !== cache.hash) return;
    if (!Number.isInteger(cache.version)) return;
    await this.apply({ text: cache.text, version: cache.version, hash: cache.hash });
    if (this.ready && this.status().staleSince === undefined)
      this.markUnreachable(
        `corsgate: Redis at ${this.target.display} did not answer at start; serving the cached version ${cache.version} from ${path}`,
      );
  }

  private armPoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => void this.pollTick(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  /** The slow poll: the version number only; a full read when it moved or after an outage. */
  private async pollTick(): Promise<void> {
    try {
      const wasStale = this.status().staleSince !== undefined;
      let version: string | null;
      try {
        version = await readVersion(this.client, this.target.key, this.commandTimeoutMs);
      } catch (error) {
        // Redis answered, with an error (the key holds another type): the full read reports it.
        if (error instanceof ErrorReply) {
          await this.refresh(false);
          return;
        }
        this.markUnreachable(
          `corsgate: Redis at ${this.target.display} did not answer (${(error as Error).message}); the last good version (${this.current.version}) stays in force`,
        );
        return;
      }
      if (wasStale || version !== this.seenVersion || !this.ready) await this.refresh(false);
    } finally {
      this.armPoll();
    }
  }

  protected async stop(): Promise<void> {
    clearTimeout(this.pollTimer);
    // destroy, not a graceful QUIT: a paused Redis would never answer one.
    this.client.destroy();
  }
}

/** One turn of the event loop: setImmediate runs right after pending I/O, with no timer delay. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function recordInvalid(display: string, problem: string): AllowlistIssue {
  return {
    code: 'CG_ALLOWLIST_RECORD_INVALID',
    severity: 'error',
    line: 0,
    column: 0,
    text: '',
    message: `corsgate: the version stored at ${display} was not written by corsgate (${problem}); it is not applied`,
  };
}

function hashMismatch(stored: StoredBytes): AllowlistIssue {
  return {
    code: 'CG_ALLOWLIST_HASH_MISMATCH',
    severity: 'error',
    line: 0,
    column: 0,
    text: '',
    message: `corsgate: version ${stored.version} in Redis has hash ${stored.hash.slice(0, 12)}… but its text hashes to something else; it was not written by corsgate and is not applied`,
  };
}

/**
 * Opens a Redis allowlist source and waits for its first version (at most `startTimeoutMs`).
 * Never throws for Redis being down: check `status().ready` (false without a version from Redis or
 * the cache; the policy in force then allows no origin).
 * @throws AllowlistError `CG_ALLOWLIST_SOURCE_INVALID` for a malformed URL, or a config error.
 * @example
 * const allowlist = await openRedisAllowlist('redis://10.0.0.5:6379/0', { config: { credentials: true } });
 * app.use(cors({ allowlist }));
 */
export async function openRedisAllowlist(
  source: string,
  options: RedisAllowlistOptions = {},
): Promise<RedisAllowlistSource> {
  const redis = new RedisAllowlistSource(source, options);
  await redis.start(options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  return redis;
}
