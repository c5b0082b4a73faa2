/**
 * Real Redis deployments for the failover tests (docs/sources.md "Deployments"): a master with a
 * replica watched by a `redis-sentinel`, and a Cluster of three masters with a replica each, all
 * on free loopback ports in a temp directory, stopped by pid. Sentinel's timeouts are low
 * (down-after-milliseconds, failover-timeout) so a failover takes a second or two; the tests wait
 * for its events (`+switch-master` on the sentinel's pub/sub, a replica's role turning master),
 * never for a fixed time. `.ci/run` installs redis-server and redis-sentinel.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './_redis-server.js';

const run = promisify(execFile);

export interface Proc {
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
  /** Starts it again with the same arguments, on the same port and directory. */
  restart(): Promise<void>;
}

/** Sends one inline command and returns the first reply line (enough for PING, ROLE, INFO's first line). */
export function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let data = '';
    const done = (v: string): void => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => done(data));
    socket.once('error', () => done(''));
    socket.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    socket.on('data', (d) => {
      data += d.toString();
      if (data.endsWith('\r\n') && !/^\*/.test(data)) done(data);
      if (/^\*/.test(data) && data.split('\r\n').length > 6) done(data);
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // Polling a local socket: a few ms between tries, no fixed sleep standing in for an event.
    await new Promise((r) => setTimeout(r, 20));
  }
}

function spawnRedis(dir: string, port: number, args: string[], binary = 'redis-server'): Proc {
  let child = spawn(binary, args, { stdio: 'ignore', cwd: dir });
  const proc: Proc = {
    port,
    get child() {
      return child;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await proc.kill();
      child = spawn(binary, args, { stdio: 'ignore', cwd: dir });
      await until(`${binary} on ${port} again`, async () =>
        (await rawCommand(port, 'PING')).startsWith('+PONG'),
      );
    },
  };
  return proc;
}

const BASE = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];

/** A redis-server on a free port; one that exits at start (a port taken meanwhile) is tried on another. */
async function startServer(dir: string, extra: string[] = []): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawnRedis(dir, port, ['--port', String(port), '--dir', dir, ...BASE, ...extra]);
    const exited = once(proc.child, 'exit').then(() => false);
    const up = until(`redis-server on ${port}`, async () =>
      (await rawCommand(port, 'PING')).startsWith('+PONG'),
    );
    up.catch(() => undefined);
    if (await Promise.race([up.then(() => true), exited])) return proc;
    if (attempt >= 3) throw new Error(`redis-server did not start (3 ports tried), last ${port}`);
  }
}

export interface SentinelSetup {
  readonly master: Proc;
  /** The replica the failover test expects to be promoted first. */
  readonly replica: Proc;
  readonly replicas: readonly Proc[];
  readonly sentinel: Proc;
  /** `redis+sentinel://127.0.0.1:PORT/corsgate` */
  readonly url: string;
  /** The port of the master the sentinel names now. */
  masterPort(): Promise<number>;
  /** Kills the master; resolves with the kill time once the sentinel switched to the replica. */
  failover(): Promise<{ killedAt: number; switchedAt: number }>;
  stop(): Promise<void>;
}

export const MASTER_NAME = 'corsgate';

export async function startSentinel(): Promise<SentinelSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-sentinel-'));
  const master = await startServer(dir, ['--dbfilename', 'm.rdb']);
  // Two replicas: after the master dies one is promoted and the other still confirms writes.
  const replicas = await Promise.all(
    [1, 2].map((i) =>
      startServer(dir, ['--dbfilename', `r${i}.rdb`, '--replicaof', '127.0.0.1', String(master.port)]),
    ),
  );
  for (const replica of replicas)
    await until('the replica in sync', async () =>
      (await rawCommand(replica.port, 'INFO replication', 300)).includes('master_link_status:up'),
    );
  const replica = replicas[0]!;
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'protected-mode no',
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1`,
      // Low, so a failover takes a second or two (production keeps Sentinel's defaults).
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 2000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const sentinel = spawnRedis(dir, port, [conf], 'redis-sentinel');
  await until('redis-sentinel', async () => (await rawCommand(port, 'PING')).startsWith('+PONG'));
  const masterPort = async (): Promise<number> => {
    const reply = await rawCommand(port, `SENTINEL get-master-addr-by-name ${MASTER_NAME}`);
    return Number(reply.split('\r\n')[4]);
  };
  return {
    master,
    replica,
    replicas,
    sentinel,
    url: `redis+sentinel://127.0.0.1:${port}/${MASTER_NAME}`,
    masterPort,
    failover: async () => {
      const switched = switchMaster(port);
      const killedAt = Date.now();
      await master.kill();
      await switched;
      return { killedAt, switchedAt: Date.now() };
    },
    stop: async () => {
      await Promise.all([sentinel.kill(), ...replicas.map((r) => r.kill()), master.kill()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves at the sentinel's next `+switch-master` (its pub/sub event of a completed failover). */
function switchMaster(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no +switch-master within 20 s'));
    }, 20_000);
    let seen = '';
    socket.connect(port, '127.0.0.1', () => socket.write('SUBSCRIBE +switch-master\r\n'));
    socket.on('data', (d) => {
      seen += d.toString();
      // The subscription's confirmation, then the event: a "message" push naming the channel.
      if (/message\r\n\$\d+\r\n\+switch-master\r\n/.test(seen)) {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      }
    });
    socket.once('error', reject);
  });
}

export interface ClusterSetup {
  readonly nodes: Proc[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  readonly url: string;
  /** The node serving `key`'s slot as master now. */
  masterOf(key: string): Promise<Proc>;
  /**
   * Moves `key`'s slot to another master the way `redis-cli --cluster reshard` does, one step at a
   * time (IMPORTING, MIGRATING, MIGRATE of each key, SETSLOT NODE on every master), awaiting
   * `between()` after each step: clients meanwhile get ASK, then MOVED, and TRYAGAIN for a
   * script whose keys are split between the two nodes.
   */
  migrate(key: string, between: () => Promise<void>): Promise<{ from: number; to: number }>;
  /**
   * Kills `key`'s master; resolves once its replica reports itself master. The killed node is
   * then started again (as a supervisor would) and rejoins as the new master's replica, so writes
   * can be confirmed by a replica again.
   */
  failover(key: string): Promise<{ killedAt: number; switchedAt: number }>;
  stop(): Promise<void>;
}

/** Three masters and three replicas (`redis-cli --cluster create … --cluster-replicas 1`). */
export async function startCluster(): Promise<ClusterSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-cluster-'));
  const nodes = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const sub = join(dir, `n${i}`);
      mkdirSync(sub);
      return startServer(sub, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(sub, 'nodes.conf'),
        // Low, so a replica takes over about a second after its master died.
        '--cluster-node-timeout',
        '500',
      ]);
    }),
  );
  const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
  await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'], {
    timeout: 30_000,
  });
  await until('the cluster state ok on every node', async () => {
    const infos = await Promise.all(nodes.map((n) => rawCommand(n.port, 'CLUSTER INFO', 300)));
    return infos.every((i) => i.includes('cluster_state:ok'));
  });
  await until('every replica in sync with its master', async () => {
    const infos = await Promise.all(nodes.map((n) => rawCommand(n.port, 'INFO replication', 300)));
    const replicas = infos.filter((i) => i.includes('role:slave'));
    return replicas.length === 3 && replicas.every((i) => i.includes('master_link_status:up'));
  });
  const slotOf = async (key: string): Promise<number> => {
    const reply = await rawCommand(nodes[0]!.port, `CLUSTER KEYSLOT ${key}`);
    return Number(reply.slice(1));
  };
  const masterOf = async (key: string): Promise<Proc> => {
    const slot = await slotOf(key);
    for (const node of nodes) {
      if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
      const reply = await rawCommand(node.port, 'ROLE');
      if (!reply.includes('master')) continue;
      const { stdout } = await run('redis-cli', ['-p', String(node.port), 'CLUSTER', 'NODES']);
      const mine = stdout.split('\n').find((l) => l.includes('myself'));
      const owns = (mine ?? '')
        .split(' ')
        .slice(8)
        .some((r) => {
          const [a, b] = r.split('-').map(Number);
          return a !== undefined && slot >= a && slot <= (b ?? a);
        });
      if (owns) return node;
    }
    throw new Error(`no master serves the slot of ${key}`);
  };
  const cli = async (port: number, ...args: string[]): Promise<string> =>
    (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
  const migrate = async (key: string, between: () => Promise<void>) => {
    const slot = String(await slotOf(key));
    const from = await masterOf(key);
    const masters: Proc[] = [];
    for (const node of nodes)
      if ((await rawCommand(node.port, 'ROLE')).includes('master')) masters.push(node);
    const to = masters.find((m) => m !== from)!;
    const [fromId, toId] = [await cli(from.port, 'CLUSTER', 'MYID'), await cli(to.port, 'CLUSTER', 'MYID')];
    await cli(to.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
    await cli(from.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
    await between();
    const keys = (await cli(from.port, 'CLUSTER', 'GETKEYSINSLOT', slot, '100')).split('\n').filter(Boolean);
    for (const k of keys) {
      await cli(from.port, 'MIGRATE', '127.0.0.1', String(to.port), k, '0', '5000');
      await between();
    }
    for (const m of masters) await cli(m.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId);
    await between();
    return { from: from.port, to: to.port };
  };
  return {
    nodes,
    url: `redis+cluster://${addresses.slice(0, 3).join(',')}`,
    masterOf,
    migrate,
    failover: async (key) => {
      const master = await masterOf(key);
      const killedAt = Date.now();
      await master.kill();
      await until('a replica promoted for the slot', async () => {
        try {
          const now = await masterOf(key);
          return now !== master;
        } catch {
          return false;
        }
      });
      const switchedAt = Date.now();
      await master.restart();
      return { killedAt, switchedAt };
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
