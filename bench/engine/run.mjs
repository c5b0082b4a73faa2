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
const ns = (stats) => stats.avg;
const fmt = (v) =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)} ms` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} µs` : `${v.toFixed(0)} ns`;

async function time(middleware, req) {
  const stats = await measure(() => {
    const res = makeRes();
    middleware(req, res, noop);
    do_not_optimize(res);
  });
  return stats;
}

const started = Date.now();
const scenarios = buildScenarios();
console.error(`built ${scenarios.length} scenarios in ${Date.now() - started} ms`);
const rows = [];
for (const s of scenarios) {
  deepStrictEqual(runOnce(s.corsgate, s.req), s.expect.corsgate, `corsgate: ${s.name}`);
  deepStrictEqual(runOnce(s.cors, s.req), s.expect.cors, `cors: ${s.name}`);
  const ours = await time(s.corsgate, s.req);
  const theirs = await time(s.cors, s.req);
  rows.push({
    name: s.name,
    group: s.group,
    size: s.size,
    ours: ns(ours),
    oursP99: ours.p99,
    theirs: ns(theirs),
  });
  console.error(`${s.name}: corsgate ${fmt(ns(ours))}, cors ${fmt(ns(theirs))}`);
}

const by = (name) => rows.find((r) => r.name === name);
const lines = [];
lines.push('| scenario | corsgate (avg) | cors (avg) | cors ÷ corsgate |');
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
