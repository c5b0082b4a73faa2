/**
 * The failover scenario both deployments run (docs/sources.md "Failover figures"): three nodes
 * follow the list while real HTTP traffic asks them for decisions and a stream of writes goes on;
 * the master is killed in the middle. What it records: when a write succeeded again after the
 * kill, when every node enforced a version written after the failover, the slowest request, the
 * requests decided on a version no writer stored (an unvalidated list), and every write's outcome.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AllowlistError } from 'corsgate/allowlist';
import { readRedisAudit } from '../src/audit.js';
import { openRedisAllowlist, type RedisAllowlistSource } from '../src/source.js';
import { editRedisAllowlist, pullRedisAllowlist, pushRedisAllowlist } from '../src/write.js';

export interface FailoverFigures {
  writeAgainMs: number;
  everyNodeMs: number;
  requests: number;
  slowestRequestMs: number;
  /**
   * Requests as slow as a Redis command's timeout (a request that waited on a dead master would
   * wait that long): none may be. The handler reads the version in force synchronously.
   */
  waitedOnRedis: number;
  decidedOnUnvalidated: number;
  writesApplied: number;
  writesRefused: Record<string, number>;
  writesLost: number;
  writesTwice: number;
}

/** A node gives up a Redis command after this long: a request that waited on Redis would take as long. */
const COMMAND_TIMEOUT_MS = 5_000;

/**
 * The slow poll, far beyond the test: a node applies the version written after the failover only
 * if its subscription followed the master (or the resync on the new master found it).
 */
const POLL_MS = 120_000;

const origin = (i: number): string => `https://w${i}.example`;

/** One HTTP server whose answer is a node's version in force and hash: decided without Redis. */
async function trafficServer(nodes: RedisAllowlistSource[]) {
  const server = createServer((req, res) => {
    const node = nodes[Number(req.url?.slice(1) ?? 0) % nodes.length]!;
    const { version, hash } = node.current;
    res.end(JSON.stringify({ version, hash }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, path: string): Promise<{ version: number; hash: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve(JSON.parse(body)));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function runFailover(
  url: string,
  failover: () => Promise<{ killedAt: number; switchedAt: number }>,
  pollIntervalMs = POLL_MS,
): Promise<FailoverFigures> {
  const log = (m: string): void => {
    if (process.env.FAILOVER_DEBUG) console.error(`${new Date().toISOString()} ${m}`);
  };
  const first = await pushRedisAllowlist(url, `${origin(0)}\n`);
  log('first pushed');
  // Every hash a writer stored: a decision on anything else was taken on a list nobody validated.
  const stored = new Set<string>([first.hash]);
  const nodes = await Promise.all(
    [0, 1, 2].map(async (i) => {
      const t = Date.now();
      const node = await openRedisAllowlist(url, {
        pollIntervalMs,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      log(`node ${i} open in ${Date.now() - t} ms at ${node.current.version}`);
      return node;
    }),
  );
  // Every node holds the first version before the traffic starts (a node that has none allows no
  // origin at all: fail closed, and not what this measures).
  await Promise.all(nodes.map((n) => waitForVersion(n, first.hash)));
  log(`nodes open at ${nodes.map((n) => n.current.version)}`);
  const { server, port } = await trafficServer(nodes);
  const figures: FailoverFigures = {
    writeAgainMs: -1,
    everyNodeMs: -1,
    requests: 0,
    slowestRequestMs: 0,
    waitedOnRedis: 0,
    decidedOnUnvalidated: 0,
    writesApplied: 0,
    writesRefused: {},
    writesLost: 0,
    writesTwice: 0,
  };
  let stop = false;
  const answers: { version: number; hash: string }[] = [];
  const traffic = (async () => {
    for (let i = 0; !stop && i < 100_000; i++) {
      const started = performance.now();
      answers.push(await get(port, `/${i}`));
      const took = performance.now() - started;
      figures.requests++;
      figures.slowestRequestMs = Math.max(figures.slowestRequestMs, took);
      if (took >= COMMAND_TIMEOUT_MS) figures.waitedOnRedis++;
    }
  })();
  let killedAt = Number.POSITIVE_INFINITY;
  const applied: number[] = [];
  const writes = (async () => {
    for (let i = 1; !stop && i <= 2_000; i++) {
      const startedAt = Date.now();
      try {
        const r = await editRedisAllowlist(url, { add: origin(i) }, { timeoutMs: 8_000 });
        stored.add(r.hash);
        applied.push(i);
        figures.writesApplied++;
        // The first write begun after the kill that succeeded (one in flight at the kill does not count).
        if (startedAt > killedAt && figures.writeAgainMs < 0) figures.writeAgainMs = Date.now() - killedAt;
      } catch (error) {
        const code = error instanceof AllowlistError ? error.code : String(error);
        log(`write ${i}: ${(error as Error).message}`);
        figures.writesRefused[code] = (figures.writesRefused[code] ?? 0) + 1;
      }
    }
  })();
  while (figures.writesApplied < 5) await once(server, 'request');
  log('killing');
  const switched = failover();
  killedAt = Date.now();
  await switched;
  log('switched');
  // A version written after the failover, and the moment every node enforces it.
  while (figures.writeAgainMs < 0) await once(server, 'request');
  // Retried while the deployment has no replica to confirm it yet (CG_ALLOWLIST_WRITE_UNCONFIRMED).
  let after: Awaited<ReturnType<typeof editRedisAllowlist>> | undefined;
  for (let i = 0; after === undefined && i < 20; i++)
    after = await editRedisAllowlist(url, { add: 'https://after.example' }).catch((error) => {
      log(`after: ${(error as Error).message}`);
      return undefined;
    });
  if (after === undefined) throw new Error('no write succeeded after the failover');
  stored.add(after.hash);
  log(`after written ${after.version}`);
  await Promise.all(nodes.map((n) => waitForVersion(n, after.hash)));
  figures.everyNodeMs = Date.now() - killedAt;
  stop = true;
  await Promise.all([traffic, writes]);
  const final = (await pullRedisAllowlist(url))!.text.split('\n');
  for (const i of applied) {
    const times = final.filter((line) => line === origin(i)).length;
    if (times === 0) figures.writesLost++;
    if (times > 1) figures.writesTwice++;
  }
  // Every version the write script stored, failover or not, is in the audit stream with its hash.
  const trail = await readRedisAudit(url, 100_000);
  for (const entry of trail) stored.add(entry.hash);
  log(`trail: ${trail.map((e) => `${e.toVersion}:${e.hash.slice(0, 8)}`).join(' ')}`);
  const unknown = new Set(
    answers.filter((a) => !stored.has(a.hash)).map((a) => `${a.version}:${a.hash.slice(0, 8)}`),
  );
  log(`unknown answers: ${[...unknown].join(' ')}`);
  for (const a of answers)
    if (!stored.has(a.hash) && a.hash !== allowlistHash('')) figures.decidedOnUnvalidated++;
  server.close();
  await Promise.all(nodes.map((n) => n.close()));
  return figures;
}

export function waitForVersion(node: RedisAllowlistSource, hash: string): Promise<void> {
  if (node.current.hash === hash) return Promise.resolve();
  return new Promise((resolve) => {
    const off = node.on(() => {
      if (node.current.hash !== hash) return;
      off();
      resolve();
    });
  });
}
