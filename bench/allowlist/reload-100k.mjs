// Reload of a 100,000-line allowlist: parse + compile time, change-to-enforcement through the
// watcher, and the longest event-loop stall it causes (perf_hooks.monitorEventLoopDelay).
// Baseline: the engine's createPolicy on the same 100,000 origins, measured in the same run.
// Run: flock /tmp/corsgate-bench.lock node bench/allowlist/reload-100k.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createPolicy, createPolicyAsync } from 'corsgate';
import { parseAllowlist, watchAllowlist, writeFileAtomic } from 'corsgate/allowlist';

const LINES = Number(process.env.LINES ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const list = (tag) =>
  Array.from({ length: LINES }, (_, i) => `https://${tag}${i}.tenant${i % 1000}.example.com`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-'));
const file = join(dir, 'origins.list');
const texts = [`# generated\n${list('a').join('\n')}\n`, `# generated\n${list('b').join('\n')}\n`];
const origins = list('a');

const baseline = [];
const parse = [];
for (let r = 0; r < ROUNDS; r++) {
  let t = performance.now();
  createPolicy({ origins });
  baseline.push(performance.now() - t);
  const bytes = Buffer.from(texts[r % 2]);
  t = performance.now();
  const parsed = parseAllowlist(bytes);
  parse.push(performance.now() - t);
  if (parsed.errors.length > 0 || parsed.entries.length !== LINES) throw new Error('bad parse');
}

// The engine's sliced compile alone: its time, and the longest stall it lets through.
const asyncTime = [];
const asyncStall = [];
{
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let r = 0; r < ROUNDS; r++) {
    await new Promise((r) => setTimeout(r, 50));
    h.reset();
    const t = performance.now();
    await createPolicyAsync({ origins }, { yieldToEventLoop: () => new Promise((r) => setImmediate(r)) });
    asyncTime.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
    asyncStall.push(h.max / 1e6);
  }
  h.disable();
}

// The watcher holds no ref on the event loop (persistent: false, unref timers): keep the process up.
const keepAlive = setInterval(() => {}, 1000);
await writeFileAtomic(file, texts[0]);
const w = await watchAllowlist(file);
const apply = [];
const stall = [];
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
for (let r = 1; r <= ROUNDS; r++) {
  const text = texts[r % 2];
  const want = r % 2 === 0 ? 'https://a0.tenant0.example.com' : 'https://b0.tenant0.example.com';
  const done = new Promise((resolve) => {
    const off = w.on((e) => {
      if (e.type === 'reloaded' && e.snapshot.entries[0]?.origin === want) {
        off();
        resolve(performance.now());
      }
    });
  });
  await writeFileAtomic(file, text);
  const wrote = performance.now();
  h.reset();
  apply.push((await done) - wrote);
  // The histogram records a stall when its timer fires after it: let it run before reading.
  await new Promise((r) => setTimeout(r, 20));
  stall.push(h.max / 1e6);
  await new Promise((r) => setTimeout(r, 300));
}
h.disable();
await w.close();
clearInterval(keepAlive);
rmSync(dir, { recursive: true, force: true });
if (readFileSync('/proc/loadavg', 'utf8')) {
  console.log(
    `# ${LINES} lines, median of ${ROUNDS}, node ${process.version}, ${new Date().toISOString()}, loadavg ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
}
console.log('| measure | median ms | ratio to createPolicy |');
console.log('|---|---|---|');
const b = median(baseline);
console.log(`| engine createPolicy({ origins }) (baseline) | ${b.toFixed(1)} | 1.00 |`);
console.log(
  `| engine createPolicyAsync({ origins }) (sliceBudgetMs 4, setImmediate) | ${median(asyncTime).toFixed(1)} | ${(median(asyncTime) / b).toFixed(2)} |`,
);
console.log(
  `| longest event-loop stall during createPolicyAsync | ${median(asyncStall).toFixed(1)} | ${(median(asyncStall) / b).toFixed(2)} |`,
);
console.log(
  `| parseAllowlist(bytes): decode + split + createPolicy + line mapping | ${median(parse).toFixed(1)} | ${(median(parse) / b).toFixed(2)} |`,
);
console.log(
  `| watcher: write completed → new policy in force | ${median(apply).toFixed(1)} | ${(median(apply) / b).toFixed(2)} |`,
);
console.log(
  `| longest event-loop stall during that reload | ${median(stall).toFixed(1)} | ${(median(stall) / b).toFixed(2)} |`,
);
