// Push to enforced on three nodes: the time from the start of a push until the new version is in
// force on all three node processes (the slowest of the three), p50 and p99 over ROUNDS pushes.
// Peer in the same run: the same three-node measure with a shared file (atomic rename, each node
// watching it), so the ratio says what Redis costs over the fastest local path.
// Target (issue 13): p99 under 50 ms.
// Run: npm run --workspace bench sources:push
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushRedisAllowlist } from '@corsgate/redis';
import { allowlistHash, writeFileAtomic } from 'corsgate/allowlist';
import { percentile, startRedis } from './_redis.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const NODES = 3;
const now = () => performance.timeOrigin + performance.now();

async function measure(source, write) {
  const nodes = Array.from({ length: NODES }, () =>
    fork(new URL('./node.mjs', import.meta.url), [source], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(nodes.map((n) => new Promise((r) => n.on('message', (m) => m.ready && r()))));
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const text = `# round ${r}\nhttps://a.example.com\nhttps://r${r}.example.com\n`;
    const hash = allowlistHash(text);
    const applied = nodes.map(
      (n) =>
        new Promise((resolve) => {
          const on = (m) => {
            if (m.hash === hash) {
              n.off('message', on);
              resolve(m.at);
            }
          };
          n.on('message', on);
        }),
    );
    const t0 = now();
    await write(text);
    const at = await Promise.race([
      Promise.all(applied),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`round ${r}: not applied within 5 s`)), 5000),
      ),
    ]);
    times.push(Math.max(...at) - t0);
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const n of nodes) n.send('stop');
  return times;
}

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-push-'));
const file = join(dir, 'origins.list');
try {
  await pushRedisAllowlist(redis.url, 'https://a.example.com\n');
  await writeFileAtomic(file, 'https://a.example.com\n');
  const viaRedis = await measure(redis.url, (text) => pushRedisAllowlist(redis.url, text));
  const viaFile = await measure(file, (text) => writeFileAtomic(file, text));
  const row = (name, xs) =>
    `${name.padEnd(28)} p50 ${percentile(xs, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(xs, 99).toFixed(2).padStart(7)} ms   max ${Math.max(
      ...xs,
    )
      .toFixed(2)
      .padStart(7)} ms`;
  console.log(`push to enforced on ${NODES} nodes, ${ROUNDS} pushes each (slowest node per push)`);
  console.log(row('redis (push → pub/sub)', viaRedis));
  console.log(row('file (rename → fs.watch)', viaFile));
  console.log(`ratio redis/file p99: ${(percentile(viaRedis, 99) / percentile(viaFile, 99)).toFixed(2)}`);
  console.log(`target p99 < 50 ms: ${percentile(viaRedis, 99) < 50 ? 'met' : 'MISSED'}`);
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
