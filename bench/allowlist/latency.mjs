// Change-to-enforcement latency: the time from a write completing to the new policy in force
// (the watcher's 'reloaded' event), over N edits of each kind, on the watch path (fs.watch +
// debounce) and on the poll path (watch: false). Run: flock /tmp/corsgate-bench.lock node bench/allowlist/latency.mjs
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchAllowlist } from 'corsgate/allowlist';

const EDITS = Number(process.env.EDITS ?? 100);
const POLL_MS = Number(process.env.POLL_MS ?? 500);

const kinds = {
  'in place': {
    setup(_dir, file) {
      writeFileSync(file, 'https://v0.example.com\n');
    },
    edit(_dir, file, i) {
      writeFileSync(file, `https://v${i}.example.com\n`);
    },
  },
  rename: {
    setup(_dir, file) {
      writeFileSync(file, 'https://v0.example.com\n');
    },
    edit(_dir, file, i) {
      writeFileSync(`${file}.tmp`, `https://v${i}.example.com\n`);
      renameSync(`${file}.tmp`, file);
    },
  },
  'symlink swap (k8s ..data)': {
    setup(dir, file) {
      mkdirSync(join(dir, '..v0'));
      writeFileSync(join(dir, '..v0', 'origins.list'), 'https://v0.example.com\n');
      symlinkSync('..v0', join(dir, '..data'));
      symlinkSync('..data/origins.list', file);
    },
    edit(dir, _file, i) {
      mkdirSync(join(dir, `..v${i}`));
      writeFileSync(join(dir, `..v${i}`, 'origins.list'), `https://v${i}.example.com\n`);
      symlinkSync(`..v${i}`, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, `..v${i - 1}`), { recursive: true });
    },
  },
};

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function run(kindName, mode) {
  const kind = kinds[kindName];
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-'));
  const file = join(dir, 'origins.list');
  kind.setup(dir, file);
  const options = mode === 'watch' ? {} : { watch: false, pollIntervalMs: POLL_MS };
  const w = await watchAllowlist(file, options);
  const latencies = [];
  try {
    for (let i = 1; i <= EDITS; i++) {
      const applied = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`edit ${i} not applied in 10 s`)), 10_000);
        const off = w.on((e) => {
          if (e.type === 'reloaded' && e.snapshot.entries[0]?.origin === `https://v${i}.example.com`) {
            clearTimeout(timer);
            off();
            resolve(performance.now());
          }
        });
      });
      kind.edit(dir, file, i);
      const wrote = performance.now();
      latencies.push((await applied) - wrote);
      // Spread edits so they are independent (not one burst); on the poll path, at a random phase of the tick.
      await new Promise((r) => setTimeout(r, 20 + Math.random() * (mode === 'poll' ? POLL_MS : 30)));
    }
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1] };
}

/** Baseline in the same run: how late a bare 50 ms timer fires here (the quiet period is one). */
async function timerBaseline() {
  const late = [];
  for (let i = 0; i < EDITS; i++) {
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    late.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
  late.sort((a, b) => a - b);
  return { p50: pct(late, 50), p99: pct(late, 99), max: late[late.length - 1] };
}

const load = readFileSync('/proc/loadavg', 'utf8').trim();
console.log(
  `# change-to-enforcement latency, ${EDITS} edits each, node ${process.version}, ${new Date().toISOString()}, loadavg ${load}`,
);
console.log('| path | edit | p50 ms | p99 ms | max ms |');
console.log('|---|---|---|---|---|');
const base = await timerBaseline();
console.log(
  `| baseline: a bare setTimeout(50) | — | ${base.p50.toFixed(1)} | ${base.p99.toFixed(1)} | ${base.max.toFixed(1)} |`,
);
for (const mode of ['watch', 'poll']) {
  for (const kindName of Object.keys(kinds)) {
    const r = await run(kindName, mode);
    const path =
      mode === 'watch'
        ? 'watch (defaults: quiet period 50 ms, max-wait 200 ms)'
        : `poll only (interval ${POLL_MS} ms)`;
    console.log(
      `| ${path} | ${kindName} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`,
    );
  }
}
