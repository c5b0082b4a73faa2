/**
 * The fleet's refused origins (docs/sources.md "Fleet view"): each node adds its counts of refused
 * origins to Redis every few seconds, so any node can show what browsers sent across the fleet.
 * Bounded and expiring: counts go to one sorted set per hour (`KEY:denied:<hour>`), each trimmed
 * to the `capacity` most counted and expiring a day after its hour; a node holds at most
 * `capacity` pending origins between two flushes (more are counted as dropped). No request waits
 * for Redis: counting is a Map increment, flushing runs on a timer.
 */
import { Connection } from './connection.js';
import { within } from './data.js';
import { parseRedisSource, type RedisTarget } from './url.js';

export interface FleetDeniedOptions {
  /** How often a node adds its counts to Redis. Default 2000 ms. */
  readonly flushMs?: number;
  /** Length of one bucket. Default one hour. */
  readonly windowMs?: number;
  /** How many buckets the fleet view adds up (and how long a bucket lives). Default 24. */
  readonly windows?: number;
  /** Most origins kept per bucket, and pending per node. Default 1000. */
  readonly capacity?: number;
  /** A Redis command that has not answered after this long is given up. Default 2000 ms. */
  readonly commandTimeoutMs?: number;
}

export interface FleetDeniedEntry {
  readonly origin: string;
  readonly reason: string;
  readonly count: number;
}

/** KEYS[1] the bucket; ARGV: the rank to trim from, the expiry (s), then count, member pairs. */
const FLUSH = `
for i = 3, #ARGV, 2 do redis.call('ZINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;

export class FleetDenied {
  private readonly target: RedisTarget;
  private readonly client: Connection;
  private ready = false;
  private readonly flushMs: number;
  private readonly windowMs: number;
  private readonly windows: number;
  readonly capacity: number;
  private readonly timeoutMs: number;
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Counts not sent because the pending table was full or Redis could not be reached. */
  dropped = 0;

  constructor(source: string, options: FleetDeniedOptions = {}) {
    this.target = parseRedisSource(source);
    this.flushMs = options.flushMs ?? 2_000;
    this.windowMs = options.windowMs ?? 3_600_000;
    this.windows = options.windows ?? 24;
    this.capacity = options.capacity ?? 1000;
    this.timeoutMs = options.commandTimeoutMs ?? 2_000;
    // Failures show as dropped counts; the allowlist source reports Redis being unreachable.
    this.client = new Connection(this.target, {
      connectTimeoutMs: this.timeoutMs,
      reconnectMaxMs: 2_000,
      persistent: true,
    });
  }

  start(): this {
    void this.client.connect().then(() => {
      this.ready = true;
    });
    this.arm();
    return this;
  }

  /** Counts one refused request; cheap enough for the request path (a Map increment). */
  count(origin: string, reason: string): void {
    const member = `${reason}\n${origin}`;
    const n = this.pending.get(member);
    if (n !== undefined) this.pending.set(member, n + 1);
    else if (this.pending.size < this.capacity) this.pending.set(member, 1);
    else this.dropped++;
  }

  private bucketKey(at: number): string {
    return `${this.target.key}:denied:${Math.floor(at / this.windowMs)}`;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      void this.flush().finally(() => this.arm());
    }, this.flushMs);
    this.timer.unref();
  }

  /** Adds the pending counts to the current bucket, trims it, and renews its expiry. */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    if (this.pending.size === 0 || !this.ready) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    const key = this.bucketKey(Date.now());
    const ttl = Math.ceil((this.windowMs * (this.windows + 1)) / 1000);
    // One script, so one key's node runs it whole (a MULTI is not followed across a Cluster).
    const args = [...batch].flatMap(([member, n]) => [String(n), member]);
    const flush = this.client.command(key, [
      'EVAL',
      FLUSH,
      '1',
      key,
      String(-(this.capacity + 1)),
      String(ttl),
      ...args,
    ]);
    this.flushing = within(flush, this.timeoutMs)
      .then(() => undefined)
      .catch(() => {
        for (const n of batch.values()) this.dropped += n;
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** The fleet's counts over the last `windows` buckets, most counted first. */
  async read(limit: number): Promise<FleetDeniedEntry[]> {
    const now = Date.now();
    const keys = Array.from({ length: this.windows }, (_, i) => this.bucketKey(now - i * this.windowMs));
    const reply = (await within(
      this.client.command(keys[0]!, ['ZUNION', String(keys.length), ...keys, 'WITHSCORES']),
      this.timeoutMs,
    )) as (string | number)[] | [string, string | number][];
    // RESP3 answers [member, score] pairs; RESP2 a flat member, score, member, score… list.
    const pairs: [string, string | number][] = Array.isArray(reply[0])
      ? (reply as [string, string | number][])
      : Array.from({ length: Math.floor(reply.length / 2) }, (_, k) => [
          String(reply[2 * k]),
          reply[2 * k + 1] as string | number,
        ]);
    const entries: FleetDeniedEntry[] = pairs.map(([member, score]) => {
      const nl = member.indexOf('\n');
      return { reason: member.slice(0, nl), origin: member.slice(nl + 1), count: Number(score) };
    });
    entries.sort((a, b) => b.count - a.count || a.origin.localeCompare(b.origin));
    return entries.slice(0, limit);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush().catch(() => undefined);
    this.client.destroy();
  }
}
