// Engine micro-benchmarks (mitata): corsgate's evaluate (plus the header-applying glue an adapter
// needs) against the `cors` package's middleware function, on the same requests and the same
// minimal req/res objects. Every scenario is asserted for correctness by
// bench/test/engine-scenarios.test.ts; here each is checked once more before it is timed.
//
//   flock /tmp/corsgate-bench.lock npm run --workspace bench engine
import { deepStrictEqual } from 'node:assert';
import { do_not_optimize, measure } from 'mitata';
import { buildScenarios, makeRes, runOnce } from './scenarios.mjs';

const noop = () => {};
const fmt = (v) =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} µs` : `${v.toFixed(0)} ns`;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

// The machine is shared (2 cores, several sessions): the clock is this process's CPU time, not
// wall time, so time spent descheduled is not counted; each side is measured in several rounds,
// alternating with the other, in a fresh random scenario order per round, and the lowest
// per-round median (p50) is kept.
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
async function time(middleware, req, slow) {
  const stats = await measure(
    () => {
      const res = makeRes();
      middleware(req, res, noop);
      do_not_optimize(res);
    },
    // A linear scan over 100,000 regular expressions takes milliseconds per call: fewer samples.
    slow
      ? { now: cpuNow, min_cpu_time: 200e6, min_samples: 5, max_samples: 50 }
      : { now: cpuNow, min_cpu_time: 300e6 },
  );
  return stats.p50;
}

const started = Date.now();
const scenarios = buildScenarios();
console.error(`built ${scenarios.length} scenarios in ${Date.now() - started} ms`);
for (const s of scenarios) {
  deepStrictEqual(runOnce(s.corsgate, s.req), s.expect.corsgate, `corsgate: ${s.name}`);
  deepStrictEqual(runOnce(s.cors, s.req), s.expect.cors, `cors: ${s.name}`);
}
const rows = scenarios.map((s) => ({ name: s.name, ours: Infinity, theirs: Infinity }));
for (let round = 0; round < ROUNDS; round++) {
  const order = scenarios.map((_, k) => k);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [order[k], order[j]] = [order[j], order[k]];
  }
  for (const k of order) {
    const s = scenarios[k];
    const row = rows[k];
    const slow = (s.size ?? 0) >= 10_000;
    row.ours = Math.min(row.ours, await time(s.corsgate, s.req, false));
    row.theirs = Math.min(row.theirs, await time(s.cors, s.req, slow));
    console.error(`round ${round + 1}: ${s.name}: corsgate ${fmt(row.ours)}, cors ${fmt(row.theirs)}`);
  }
}

const by = (name) => rows.find((r) => r.name === name);
const lines = [];
lines.push('| scenario | corsgate (p50, CPU time) | cors (p50, CPU time) | cors ÷ corsgate |');
lines.push('|---|---:|---:|---:|');
for (const r of rows) {
  lines.push(`| ${r.name} | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${(r.theirs / r.ours).toFixed(1)}× |`);
}
lines.push('');
lines.push('| target | ratio | met |');
lines.push('|---|---:|:---:|');
for (const kind of ['exact', 'wildcard']) {
  const base = by(`allowed actual, 10 ${kind} entries`);
  for (const size of [10_000, 100_000]) {
    const r = by(`allowed actual, ${size} ${kind} entries`);
    const ratio = r.ours / base.ours;
    lines.push(
      `| ${size} ${kind} entries ÷ 10 ${kind} entries (≤ 1.5) | ${ratio.toFixed(2)} | ${ratio <= 1.5 ? 'yes' : 'NO'} |`,
    );
  }
}
const h8 = by('hostile ACRH (8 KiB of commas)');
const h1 = by('hostile ACRH (1 MiB of commas)');
const allowedPre = by('allowed preflight, 3 request headers');
lines.push(
  `| hostile ACRH 1 MiB ÷ 8 KiB (bounded, ≈ 1) | ${(h1.ours / h8.ours).toFixed(2)} | ${h1.ours / h8.ours <= 1.5 ? 'yes' : 'NO'} |`,
);
lines.push(
  `| hostile ACRH 1 MiB ÷ allowed preflight (refused before scanning, ≤ 1) | ${(h1.ours / allowedPre.ours).toFixed(2)} | ${h1.ours <= allowedPre.ours * 1.5 ? 'yes' : 'NO'} |`,
);
const slower = rows.filter((r) => r.ours >= r.theirs);
lines.push(
  `| every case faster than cors | ${slower.length} slower | ${slower.length === 0 ? 'yes' : 'NO'} |`,
);
console.log(lines.join('\n'));
