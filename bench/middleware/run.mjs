// Load benchmark: each framework without CORS, with its usual CORS package and with corsgate.
// Servers run pinned to core 0 (taskset -c 0), wrk to core 1; the report shows medians and
// per-round paired ratios against the same framework without CORS. Run under the lock so two
// benchmarks never overlap:
//   flock /tmp/corsgate-bench.lock node bench/middleware/run.mjs
// Environment: ROUNDS (8), DURATION seconds per measurement (1), WARMUP seconds (1), CONNECTIONS (50),
// FRAMEWORKS (comma list, default all).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkScenario } from './check.mjs';
import { FRAMEWORKS, KINDS, VARIANTS } from './servers.mjs';

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const DURATION = Number(process.env.DURATION ?? 1);
const WARMUP = Number(process.env.WARMUP ?? 1);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const frameworks = process.env.FRAMEWORKS ? process.env.FRAMEWORKS.split(',') : FRAMEWORKS;
const serverScript = new URL('./servers.mjs', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-bench-'));
const optionsScript = join(tmp, 'options.lua');
writeFileSync(optionsScript, 'wrk.method = "OPTIONS"\n');

let current; // the server child running now, stopped if the runner is interrupted
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    current?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });

function startServer(framework, variant) {
  const child = spawn('taskset', ['-c', '0', process.execPath, serverScript, framework, variant, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant} did not start`)), 15_000);
    child.stdout.on('data', (chunk) => {
      const match = /ready (\d+)/.exec(String(chunk));
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
  });
}

function cpuTicks(pid) {
  // utime + stime of the node process (the taskset wrapper execs it, so the pid is node's).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return Number.NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value;
}

async function wrk(port, kind, seconds) {
  const { method, headers } = KINDS[kind];
  const args = ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  if (method === 'OPTIONS') args.push('-s', optionsScript);
  args.push(`http://127.0.0.1:${port}/api/items`);
  const { stdout } = await run('taskset', args, { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = toMs(/\s99%\s+([\d.]+\w+)/.exec(stdout)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(stdout)?.[1];
  return { rps, p99, non2xx: Number(errors ?? 0), socketErrors };
}

// Per framework, the three servers run side by side (idle ones cost nothing), and for each request
// kind the rounds measure none, peer and corsgate back to back, rotating which goes first. On this
// shared 2-core machine the load moves within seconds; short adjacent measurements keep each
// paired ratio inside one load regime, and the median over many rounds discards the outliers.
const results = []; // { round, framework, variant, kind, rps, p99, cpuUsPerReq, load }
const started = new Date();
for (const framework of frameworks) {
  const servers = {};
  try {
    for (const variant of VARIANTS) {
      servers[variant] = await startServer(framework, variant);
      current = servers[variant].child;
      await checkScenario(framework, variant, servers[variant].port);
    }
    for (const kind of Object.keys(KINDS)) {
      for (const variant of VARIANTS) await wrk(servers[variant].port, kind, WARMUP);
      for (let round = 0; round < ROUNDS; round++) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
        for (const variant of order) {
          const { child, port } = servers[variant];
          const before = cpuTicks(child.pid);
          const measured = await wrk(port, kind, DURATION);
          const ticks = cpuTicks(child.pid) - before;
          const cpuUsPerReq = (ticks * 10_000) / (measured.rps * DURATION);
          // The 1-minute load average: other work on this 2-core machine shows up here.
          results.push({ round, framework, variant, kind, ...measured, cpuUsPerReq, load: loadavg()[0] });
        }
        const last = results.slice(-VARIANTS.length);
        const line = VARIANTS.map((v) => `${v} ${last.find((r) => r.variant === v).rps.toFixed(0)}`);
        console.error(
          `${framework} ${kind} round ${round + 1}/${ROUNDS}: ${order.join('>')} | ${line.join(', ')}`,
        );
      }
    }
  } finally {
    for (const { child } of Object.values(servers)) child.kill('SIGTERM');
  }
}
rmSync(tmp, { recursive: true, force: true });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const pick = (f, v, k) => results.filter((r) => r.framework === f && r.variant === v && r.kind === k);
const rows = [];
for (const framework of frameworks)
  for (const kind of Object.keys(KINDS)) {
    const base = pick(framework, 'none', kind);
    for (const variant of VARIANTS) {
      const mine = pick(framework, variant, kind);
      const ratios = mine.map((r) => r.rps / base.find((b) => b.round === r.round).rps);
      const p99Ratios = mine.map((r) => r.p99 / base.find((b) => b.round === r.round).p99);
      rows.push({
        framework,
        kind,
        variant,
        rps: median(mine.map((r) => r.rps)),
        p99: median(mine.map((r) => r.p99)),
        cpu: median(mine.map((r) => r.cpuUsPerReq)),
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        p99Ratio: median(p99Ratios),
        non2xx: mine.reduce((n, r) => n + r.non2xx, 0),
      });
    }
  }
/**
 * corsgate against the usual package, measured in the same round one after the other: the paired
 * median of corsgate's req/s over the peer's, and of the difference in server CPU per request. A
 * row is a win when the paired median ratio is above 1 (the issue-15 target is every row).
 */
function headToHead() {
  return frameworks.flatMap((framework) =>
    Object.keys(KINDS).map((kind) => {
      const peer = pick(framework, 'peer', kind);
      const ours = pick(framework, 'corsgate', kind);
      const paired = ours.map((r) => [r, peer.find((p) => p.round === r.round)]);
      const row = (variant) =>
        rows.find((r) => r.framework === framework && r.kind === kind && r.variant === variant);
      return {
        framework,
        kind,
        peerKeeps: row('peer').ratio,
        corsgateKeeps: row('corsgate').ratio,
        versusPeer: median(paired.map(([o, p]) => o.rps / p.rps)),
        cpuDelta: median(paired.map(([o, p]) => o.cpuUsPerReq - p.cpuUsPerReq)),
      };
    }),
  );
}

function printHeadToHead() {
  const table = headToHead();
  console.log(
    '\n| framework | request | peer keeps | corsgate keeps | corsgate/peer req/s (paired median) | CPU µs/req vs peer (paired median) | corsgate keeps more |',
  );
  console.log('|:--|:--|--:|--:|--:|--:|:-:|');
  for (const r of table)
    console.log(
      `| ${r.framework} | ${r.kind} | ${r.peerKeeps.toFixed(3)} | ${r.corsgateKeeps.toFixed(3)} | ${r.versusPeer.toFixed(3)} | ${r.cpuDelta >= 0 ? '+' : ''}${r.cpuDelta.toFixed(1)} | ${r.versusPeer > 1 ? 'yes' : 'no'} |`,
    );
  const wins = table.filter((r) => r.versusPeer > 1).length;
  console.log(
    `\ncorsgate ahead of the usual package on ${wins} of ${table.length} rows (paired median req/s ratio above 1)`,
  );
  return table;
}

const out = {
  started: started.toISOString(),
  rounds: ROUNDS,
  duration: DURATION,
  connections: CONNECTIONS,
  rows,
  headToHead: headToHead(),
  results,
};
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
const file = new URL(
  `../results/middleware-${started.toISOString().replace(/[:.]/g, '-')}.json`,
  import.meta.url,
);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(
  `| framework | request | variant | req/s (median) | ratio to no-CORS (paired median) | range | p99 ms | p99 ratio | server CPU µs/req |`,
);
console.log('|:--|:--|:--|--:|--:|--:|--:|--:|--:|');
for (const r of rows)
  console.log(
    `| ${r.framework} | ${r.kind} | ${r.variant} | ${r.rps.toFixed(0)} | **${r.ratio.toFixed(3)}** | ${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p99Ratio.toFixed(2)} | ${r.cpu.toFixed(1)} |`,
  );
printHeadToHead();
const loads = results.map((r) => r.load);
console.log(
  `\nload average during measurements: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (2 cores)`,
);
console.error(`raw results: ${file.pathname}`);
