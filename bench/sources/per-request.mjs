// Per-request cost with a Redis source against the file source: the same node:http server and
// corsgate node adapter, the allowlist from a file in one process and from Redis in another,
// loaded in turn (interleaved rounds, autocannon, one connection pool each), with the same
// 1,000-entry list. No request may touch Redis: the Redis command count during the Redis
// server's runs is reported too (only the slow version poll should appear).
// Target (issue 13): the Redis source's cost is the file source's (ratio ≈ 1).
// Run: npm run --workspace bench sources:request
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushRedisAllowlist } from '@corsgate/redis';
import { createClient } from '@redis/client';
import autocannon from 'autocannon';
import { writeFileAtomic } from 'corsgate/allowlist';
import { percentile, startRedis } from './_redis.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const DURATION = Number(process.env.DURATION ?? 5);
const text = `${Array.from({ length: 1000 }, (_, i) => `https://app${i}.example.com`).join('\n')}\n`;

async function start(source) {
  const child = fork(new URL('./server.mjs', import.meta.url), [source], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise((r) => child.once('message', r));
  return { child, url: `http://127.0.0.1:${port}/` };
}

function load(url) {
  return autocannon({
    url,
    connections: 32,
    duration: DURATION,
    headers: { origin: 'https://app500.example.com' },
  });
}

async function commands(client) {
  const info = await client.sendCommand(['INFO', 'stats']);
  return Number(/total_commands_processed:(\d+)/.exec(String(info))?.[1] ?? 0);
}

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-req-'));
const file = join(dir, 'origins.list');
const client = createClient({ url: redis.url });
try {
  await writeFileAtomic(file, text);
  await pushRedisAllowlist(redis.url, text);
  await client.connect();
  let viaFile;
  let viaRedis;
  const rps = { file: [], redis: [] };
  let redisCommands = 0;
  let redisRequests = 0;
  const runFile = async () => {
    const f = await load(viaFile.url);
    if (f.non2xx > 0 || f.errors > 0) throw new Error('file server: failed requests');
    rps.file.push(f.requests.average);
  };
  const runRedis = async () => {
    const before = await commands(client);
    const x = await load(viaRedis.url);
    // This client's own INFO call counts too.
    redisCommands += (await commands(client)) - before - 1;
    redisRequests += x.requests.total;
    if (x.non2xx > 0 || x.errors > 0) throw new Error('redis server: failed requests');
    rps.redis.push(x.requests.average);
  };
  // Each round starts both servers afresh, and the order (of starting and of loading) alternates
  // round by round: on a busy machine the process started or loaded second in a pair can be
  // favoured or penalised by the scheduler, and alternating cancels that out of the medians.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      viaFile = await start(file);
      viaRedis = await start(redis.url);
      await runFile();
      await runRedis();
    } else {
      viaRedis = await start(redis.url);
      viaFile = await start(file);
      await runRedis();
      await runFile();
    }
    viaFile.child.send('stop');
    viaRedis.child.send('stop');
  }
  const m = (xs) => percentile(xs, 50);
  console.log(
    `per-request cost, node adapter, 1,000-entry list, ${ROUNDS} × ${DURATION} s interleaved, 32 connections`,
  );
  console.log(`file source : ${m(rps.file).toFixed(0).padStart(7)} req/s (median of rounds)`);
  console.log(`redis source: ${m(rps.redis).toFixed(0).padStart(7)} req/s (median of rounds)`);
  console.log(`ratio redis/file: ${(m(rps.redis) / m(rps.file)).toFixed(3)}`);
  console.log(
    `Redis commands during ${redisRequests} requests to the Redis-sourced server: ${redisCommands}`,
  );
} finally {
  client.destroy();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
