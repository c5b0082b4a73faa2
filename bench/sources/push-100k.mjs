// A 100,000-line list pushed to Redis: the time from the notice of the new version reaching the
// node's process until the node has it in force (read, hash check, sliced parse and compile,
// swap; the notice's arrival is seen by a second subscriber in the same process), the time from the
// start of the push (the writer lints first, in its own process as the CLI would), and the longest
// event-loop stall the node sees meanwhile (perf_hooks.monitorEventLoopDelay). In the same run:
// the engine's sliced compile of the same 100,000 origins alone (the floor any source pays), and
// the file source reloading the same list (atomic rename, watcher).
// Targets (issue 13): applied in under 100 ms, no stall over 20 ms.
// Run: npm run --workspace bench sources:100k
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { channelOf, DEFAULT_KEY, openRedisAllowlist, pushRedisAllowlist } from '@corsgate/redis';
import { createClient } from '@redis/client';
import { createPolicyAsync } from 'corsgate';
import { watchAllowlist, writeFileAtomic } from 'corsgate/allowlist';
import { percentile, startRedis } from './_redis.mjs';

const LINES = Number(process.env.LINES ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const list = (tag) => {
  const lines = Array.from({ length: LINES }, (_, i) => `https://${tag}${i}.tenant${i % 1000}.example.com`);
  return `# generated\n${lines.join('\n')}\n`;
};
const texts = [list('a'), list('b')];

const wall = () => performance.timeOrigin + performance.now();

/**
 * `write` resolves with the wall-clock time the push started and the time the node's process
 * learnt of the new version (the notice for Redis; the rename for the file).
 */
async function rounds(source, write) {
  const apply = [];
  const total = [];
  const stall = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let r = 1; r <= ROUNDS; r++) {
    const want = r % 2 === 0 ? 'https://a0.tenant0.example.com' : 'https://b0.tenant0.example.com';
    const done = new Promise((resolve) => {
      const off = source.on((e) => {
        if (e.type === 'reloaded' && e.snapshot.entries[0]?.origin === want) {
          off();
          resolve(wall());
        }
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    h.reset();
    const { start, written } = await write(texts[r % 2], r);
    const applied = await done;
    apply.push(applied - written);
    total.push(applied - start);
    // The histogram records a stall when its timer fires after it: let it run before reading.
    await new Promise((r) => setTimeout(r, 20));
    stall.push(h.max / 1e6);
    await new Promise((r) => setTimeout(r, 200));
  }
  h.disable();
  return { apply, total, stall };
}

/** The engine's sliced compile of the same origins: what every source pays at least. */
async function compileFloor() {
  const origins = texts[0].split('\n').filter((l) => l.startsWith('https://'));
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    await createPolicyAsync({ origins }, { yieldToEventLoop: () => new Promise((r) => setImmediate(r)) });
    times.push(performance.now() - t);
  }
  return times;
}

const keepAlive = setInterval(() => {}, 1000);
const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-100k-'));
const file = join(dir, 'origins.list');
try {
  await pushRedisAllowlist(redis.url, texts[0]);
  const writer = fork(new URL('./writer.mjs', import.meta.url), [redis.url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((r) => writer.once('message', r));
  // The notice's arrival in this process, seen by a subscriber of its own beside the node's.
  const notices = new Map();
  const listener = createClient({ url: redis.url });
  await listener.connect();
  await listener.subscribe(channelOf(DEFAULT_KEY), (version) => notices.set(Number(version), wall()));
  let version = 1;
  const push = (text) =>
    new Promise((resolve) => {
      version++;
      const expected = version;
      writer.once('message', ({ start }) => {
        const wait = () =>
          notices.has(expected) ? resolve({ start, written: notices.get(expected) }) : setTimeout(wait, 1);
        wait();
      });
      writer.send({ text });
    });
  const node = await openRedisAllowlist(redis.url);
  const viaRedis = await rounds(node, push);
  await node.close();
  writer.send('stop');
  listener.destroy();
  await writeFileAtomic(file, texts[0]);
  const watcher = await watchAllowlist(file);
  const viaFile = await rounds(watcher, async (text) => {
    const start = wall();
    await writeFileAtomic(file, text);
    return { start, written: start };
  });
  await watcher.close();
  const floor = await compileFloor();
  const ms = (x) => x.toFixed(1).padStart(6);
  const row = (name, { apply, total, stall }) =>
    `${name.padEnd(24)} notice→in force median ${ms(percentile(apply, 50))} ms max ${ms(Math.max(...apply))} ms   push start→in force median ${ms(percentile(total, 50))} ms   stall max ${ms(Math.max(...stall))} ms`;
  console.log(`${LINES.toLocaleString('en')}-line list, ${ROUNDS} pushes each`);
  console.log(row('redis', viaRedis));
  console.log(row('file (rename, watcher)', viaFile));
  console.log(`engine sliced compile alone (createPolicyAsync): median ${ms(percentile(floor, 50))} ms`);
  console.log(
    `ratios (median): redis/file ${(percentile(viaRedis.apply, 50) / percentile(viaFile.apply, 50)).toFixed(2)}, redis/compile ${(percentile(viaRedis.apply, 50) / percentile(floor, 50)).toFixed(2)}`,
  );
  console.log(
    `targets: applied < 100 ms ${percentile(viaRedis.apply, 50) < 100 ? 'met' : 'MISSED'} (median, notice→in force), stall ≤ 20 ms ${Math.max(...viaRedis.stall) <= 20 ? 'met' : 'MISSED'}`,
  );
} finally {
  clearInterval(keepAlive);
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
