/**
 * One connection to the list's Redis, whatever the deployment (docs/sources.md "Deployments"):
 * one server, a master found through Sentinel, or a Cluster. Everything above it (the source, the
 * writers, the fleet's counts) sends commands about one key and subscribes to one channel; which
 * server answers is this file's business, and node-redis's own Sentinel and Cluster clients do the
 * following: a Sentinel client asks the sentinels for the master and listens for `+switch-master`;
 * a Cluster client routes by the key's slot and follows `MOVED` and `ASK`.
 *
 * A live source keeps its connection for as long as it runs (`persistent`): the Sentinel and
 * Cluster clients give up a first connection after a few attempts, so a fresh one is built and
 * tried again, with the same backoff as a reconnection, until the source is closed.
 */
import { createClient, createCluster, createSentinel } from '@redis/client';
import type { RedisTarget } from './url.js';

export interface ConnectionOptions {
  /** A connection attempt that has not succeeded after this long counts as failed. */
  readonly connectTimeoutMs: number;
  /** Longest wait between reconnection attempts (they back off from 50 ms). */
  readonly reconnectMaxMs: number;
  /** True for a live source (reconnect for ever); false for a one-off write (fail fast). */
  readonly persistent: boolean;
}

export interface ConnectionEvents {
  /**
   * Connected (again), or the master moved: notices published meanwhile are lost (pub/sub is
   * fire-and-forget), so the stored version must be read again.
   */
  readonly resync?: () => void;
  /** A connection failed: Redis is unreachable until the next `resync`. */
  readonly error?: (error: Error) => void;
}

type Listener = (message: string) => void;

/** What each deployment's client does; `Connection` adds the retrying and the subscriptions. */
interface Handle {
  connect(): Promise<unknown>;
  command(key: string, args: readonly string[], options?: object): Promise<unknown>;
  subscribe(channel: string, listener: Listener): Promise<unknown>;
  destroy(): void;
}

export class Connection {
  private handle: Handle | undefined;
  private readonly subscriptions = new Map<string, Listener>();
  private closed = false;
  /** Subscriptions are made on a client once it is connected, never twice on one client. */
  private connected = false;
  private connecting: Promise<void> | undefined;

  constructor(
    readonly target: RedisTarget,
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents = {},
  ) {}

  /**
   * Connects. Persistent: resolves at the first success and keeps trying until then (never
   * rejects; failures go to `events.error`). Otherwise: rejects at the first failure.
   */
  connect(): Promise<void> {
    this.connecting ??= this.options.persistent ? this.connectForEver() : this.connectOnce();
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    this.handle = buildHandle(this.target, this.options, this.events);
    await this.handle.connect();
    this.connected = true;
  }

  private async connectForEver(): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      const handle = buildHandle(this.target, this.options, this.events);
      this.handle = handle;
      try {
        await handle.connect();
        this.connected = true;
        for (const [channel, listener] of this.subscriptions) await handle.subscribe(channel, listener);
        return;
      } catch (error) {
        this.events.error?.(error as Error);
        // One server's client reconnects by itself; the Sentinel and Cluster clients gave up.
        if (this.target.mode === 'single') return;
        handle.destroy();
        await delay(Math.min(50 * 2 ** Math.min(attempt, 10), this.options.reconnectMaxMs));
      }
    }
  }

  /** Sends one command about `key` (in a Cluster the key's slot chooses the node). */
  command<T>(key: string, args: readonly string[], options?: object): Promise<T> {
    if (this.handle === undefined) return Promise.reject(new Error('not connected'));
    return this.handle.command(key, args, options) as Promise<T>;
  }

  /** Subscribes now if connected, and again on every new client. */
  async subscribe(channel: string, listener: Listener): Promise<void> {
    this.subscriptions.set(channel, listener);
    if (this.connected) await this.handle?.subscribe(channel, listener);
  }

  destroy(): void {
    this.closed = true;
    try {
      this.handle?.destroy();
    } catch {
      // Never connected: nothing to release.
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function socketOptions(target: RedisTarget, options: ConnectionOptions): object {
  return {
    connectTimeout: options.connectTimeoutMs,
    ...(target.tls ? { tls: true } : {}),
    reconnectStrategy: options.persistent
      ? (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.reconnectMaxMs)
      : false,
  };
}

function credentials(target: RedisTarget): object {
  return {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
}

function buildHandle(target: RedisTarget, options: ConnectionOptions, events: ConnectionEvents): Handle {
  if (target.mode === 'sentinel') return sentinelHandle(target, options, events);
  if (target.mode === 'cluster') return clusterHandle(target, options, events);
  return singleHandle(target, options, events);
}

// biome-ignore lint/suspicious/noExplicitAny: the clients' generic parameters do not matter here.
type AnyClient = any;

/** One server: a client for commands and, once something subscribes, a second for pub/sub. */
function singleHandle(target: RedisTarget, options: ConnectionOptions, events: ConnectionEvents): Handle {
  const client: AnyClient = createClient({
    url: target.clientUrl,
    socket: socketOptions(target, options),
    ...(options.persistent ? {} : { disableOfflineQueue: true }),
  });
  let subscriber: AnyClient;
  const watch = (c: AnyClient): void => {
    c.on('error', (error: Error) => events.error?.(error));
    // 'ready' fires on the first connection and on every reconnection.
    c.on('ready', () => events.resync?.());
  };
  watch(client);
  return {
    connect: () => client.connect(),
    command: (_key, args, commandOptions) => client.sendCommand([...args], commandOptions),
    subscribe: async (channel, listener) => {
      if (subscriber === undefined) {
        subscriber = client.duplicate();
        watch(subscriber);
        await subscriber.connect();
      }
      await subscriber.subscribe(channel, listener);
    },
    destroy: () => {
      // destroy, not a graceful QUIT: a paused Redis would never answer one.
      for (const c of [subscriber, client]) {
        try {
          c?.destroy();
        } catch {
          // Not connected.
        }
      }
    },
  };
}

/**
 * Sentinel: node-redis asks the sentinels for the master, subscribes to their `+switch-master`
 * (and the other topology events), and moves its clients and its pub/sub to the new master.
 */
function sentinelHandle(target: RedisTarget, options: ConnectionOptions, events: ConnectionEvents): Handle {
  const sentinel: AnyClient = createSentinel({
    name: target.masterName,
    sentinelRootNodes: target.nodes.map((n) => ({ host: n.host, port: n.port })),
    nodeClientOptions: {
      ...credentials(target),
      database: target.database,
      socket: socketOptions(target, options),
    },
    sentinelClientOptions: { socket: { ...socketOptions({ ...target, tls: false }, options) } },
    masterPoolSize: 1,
    // A few rounds only: a command must not queue for long behind a failover (the source's own
    // timeouts decide when Redis counts as unreachable).
    maxCommandRediscovers: options.persistent ? 16 : 4,
    passthroughClientErrorEvents: true,
  });
  sentinel.on('error', (error: Error) =>
    events.error?.(error instanceof Error ? error : new Error(String(error))),
  );
  sentinel.on('ready', () => events.resync?.());
  sentinel.on('topology-change', (event: { type?: string }) => {
    if (event.type === 'MASTER_CHANGE') events.resync?.();
  });
  return {
    connect: () => sentinel.connect(),
    command: (_key, args, commandOptions) => sentinel.sendCommand(false, [...args], commandOptions),
    subscribe: (channel, listener) => sentinel.subscribe(channel, listener),
    destroy: () => void sentinel.destroy().catch(() => undefined),
  };
}

/** Cluster: node-redis routes by slot, follows MOVED/ASK, and rediscovers the slots on a failover. */
function clusterHandle(target: RedisTarget, options: ConnectionOptions, events: ConnectionEvents): Handle {
  const cluster: AnyClient = createCluster({
    rootNodes: target.nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
    defaults: { ...credentials(target), socket: socketOptions(target, options) },
  });
  cluster.on('error', (error: Error) => events.error?.(error));
  cluster.on('node-error', (error: Error) => events.error?.(error));
  // A node (re)connected, perhaps a replica promoted after a failover: read the version again.
  cluster.on('node-ready', () => events.resync?.());
  return {
    connect: () => cluster.connect(),
    command: (key, args, commandOptions) => cluster.sendCommand(key, false, [...args], commandOptions),
    subscribe: (channel, listener) => cluster.subscribe(channel, listener),
    destroy: () => {
      try {
        cluster.destroy();
      } catch {
        // Not connected.
      }
    },
  };
}
