#!/usr/bin/env node
/**
 * Where a proxied request's time goes: one corsgate process in front of the bench upstream, loaded
 * by wrk (one thread, bounded connections and duration) with the allowed actual GET of run.mjs,
 * profiled one of two ways:
 *
 * - default: `node --cpu-prof`; the samples taken while wrk ran, self time by function and by
 *   component (node:http, undici, the gateway, the engine, GC, idle). V8 samples wall-clock time,
 *   so on a loaded machine the samples pile up where the process was preempted (system calls).
 * - `--perf`: Linux `perf record` (on-CPU samples only, kernel included; needs perf and root or
 *   perf_event_paranoid ≤ 1) with `node --perf-basic-prof`; each sample is charged to the nearest
 *   JavaScript frame's component (the V8 builtins it calls included), kernel samples to the system
 *   call they serve. The figures to read on a shared machine.
 *
 *   flock /tmp/corsgate-bench.lock node bench/gateway/profile.mjs [--perf] [--duration 10]
 *       [--connections 64] [--top 40] [--keep DIR] [--profile FILE.cpuprofile]
 *
 * `--profile` only aggregates an existing .cpuprofile (no load). `--keep` keeps the profile.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, stop, waitPort } from './_processes.mjs';

/** A profiled gateway writes its profile on exit: give it longer than the usual 5 s. */
const PROFILE_GRACE_MS = 10_000;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    top: { type: 'string', default: '40' },
    keep: { type: 'string' },
    profile: { type: 'string' },
    perf: { type: 'boolean', default: false },
  },
});
const APP = 'https://app.example.com';

/** The component a profile node belongs to, from its script URL and function name. */
function component(frame) {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)') return 'V8/native, unattributed';
    return 'native builtins (C++ bindings, e.g. writev, parser)';
  }
  if (url.includes('/undici/')) return 'undici (upstream client)';
  if (url.includes('/prom-client/')) return 'prom-client (metrics)';
  if (url.includes('/pino')) return 'pino (logging)';
  if (url.includes('packages/gateway/')) return 'gateway (proxy.ts, metrics, routes)';
  if (url.includes('packages/corsgate/')) return 'corsgate engine + request facts';
  if (url.startsWith('node:internal/http') || url === 'node:_http_server' || url.startsWith('node:_http'))
    return 'node:http (server side)';
  if (url.includes('stream')) return 'node streams';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'node timers';
  if (url.startsWith('node:net') || url === 'node:net') return 'node:net (sockets)';
  if (url.startsWith('node:')) return `node other (${url.replace(/^node:(internal\/)?/, '')})`;
  return `other (${url.split('/').slice(-2).join('/')})`;
}

/** Self time (µs) per node id from the samples and their time deltas. */
function selfTimes(profile, window) {
  const self = new Map();
  const { samples, timeDeltas } = profile;
  let t = profile.startTime;
  // timeDeltas[i] is the time before sample i; the time until the next sample is attributed to it.
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    if (window !== undefined && (t < window.from || t > window.to)) continue;
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  return self;
}

function aggregate(profile, top, window) {
  const self = selfTimes(profile, window);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  for (const v of self.values()) total += v;
  const byComponent = new Map();
  const byFunction = new Map();
  // Inclusive time of a few functions of interest (counted once per sample stack).
  const inclusive = new Map();
  for (const [id, us] of self) {
    const frame = byId.get(id).callFrame;
    const comp = component(frame);
    byComponent.set(comp, (byComponent.get(comp) ?? 0) + us);
    const file = frame.url === '' ? '' : frame.url.replace(/^.*\/(node_modules|packages)\//, '');
    const key = `${frame.functionName || '(anonymous)'}  ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    const f = byFunction.get(key) ?? { us: 0, comp };
    f.us += us;
    byFunction.set(key, f);
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const pf = byId.get(p).callFrame;
      const name = `${pf.functionName || '(anonymous)'} (${component(pf)})`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1)}%`;
  const lines = [];
  lines.push(`profile: ${(total / 1e6).toFixed(2)} s sampled`);
  lines.push('', '| component | self time | share |', '|---|---:|---:|');
  for (const [c, us] of [...byComponent].sort((a, b) => b[1] - a[1]))
    lines.push(`| ${c} | ${(us / 1000).toFixed(0)} ms | ${pct(us)} |`);
  lines.push('', '| function (self time) | component | share |', '|---|---|---:|');
  for (const [k, f] of [...byFunction].sort((a, b) => b[1].us - a[1].us).slice(0, top))
    lines.push(`| \`${k}\` | ${f.comp} | ${pct(f.us)} |`);
  lines.push('', '| function (inclusive time) | share |', '|---|---:|');
  for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`| \`${k}\` | ${pct(us)} |`);
  return lines.join('\n');
}

/** The component of a perf sample's nearest JavaScript frame (`JS:` symbols from --perf-basic-prof). */
function jsComponent(sym) {
  if (sym.includes('/undici/') || sym.startsWith('JS:wasm'))
    return 'undici (upstream client, its llhttp wasm)';
  if (sym.includes('/gateway/dist')) return 'gateway (proxy.ts, metrics, routes)';
  if (sym.includes('/corsgate/dist/')) return 'corsgate engine + request facts';
  if (sym.includes('/prom-client/')) return 'prom-client (metrics)';
  if (sym.includes('/pino')) return 'pino (logging)';
  if (/node:_http_|node:internal\/http/.test(sym)) return 'node:http server (JavaScript)';
  if (/stream/.test(sym)) return 'node streams';
  if (/node:net\b/.test(sym)) return 'node:net (sockets)';
  if (/timers/.test(sym)) return 'node timers';
  if (/node:events/.test(sym)) return 'node events';
  if (/task_queues|async_hooks/.test(sym)) return 'node nextTick / async hooks';
  return 'other JavaScript';
}

/** Aggregates `perf script -F ip,sym,dso` output: component, kernel time by system call, JS functions. */
function aggregatePerf(text, top) {
  const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  const byComponent = new Map();
  const bySyscall = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const frames = block
      .trim()
      .split('\n')
      .map((l) => /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ sym: m[1], dso: m[2] }));
    if (frames.length === 0) continue;
    total++;
    if (frames[0].dso.includes('kernel')) {
      const user = frames.find((f) => !f.dso.includes('kernel'));
      add(byComponent, 'kernel (system calls, TCP loopback, scheduler)');
      add(
        bySyscall,
        user === undefined ? '(interrupt / scheduler)' : user.sym.replace(/^__GI___|^__libc_|^__/, ''),
      );
      continue;
    }
    const js = frames.find((f) => f.sym.startsWith('JS:'));
    if (js !== undefined) {
      add(byComponent, jsComponent(js.sym));
      add(
        byFunction,
        js.sym.replace(/^JS:[*^~]?/, '').replace(/(file:\/\/)?\/.*?\/(node_modules|packages)\//, ''),
      );
      continue;
    }
    const chain = frames.map((f) => f.sym).join(' ');
    if (chain.includes('llhttp')) add(byComponent, 'node:http parser (llhttp, C)');
    else if (/Heap|Scaveng|MarkCompact|Sweeper|Evacuat|GC/.test(chain)) add(byComponent, 'garbage collector');
    else if (/uv_run|uv__io_poll/.test(chain)) add(byComponent, 'libuv / node C++ (event loop, stream wrap)');
    else add(byComponent, 'other native');
  }
  const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
  const table = (title, m, n) =>
    [`| ${title} | share of on-CPU time |`, '|---|---:|']
      .concat(
        [...m]
          .sort((a, b) => b[1] - a[1])
          .slice(0, n)
          .map(([k, v]) => `| ${k} | ${pct(v)} |`),
      )
      .join('\n');
  return [
    `perf: ${total} on-CPU samples`,
    '',
    table('component', byComponent, 100),
    '',
    table('kernel, by the system call it serves', bySyscall, 8),
    '',
    table('JavaScript function (self, with the V8 builtins it calls)', byFunction, top),
  ].join('\n');
}

async function profileUnderLoad() {
  const tmp = mkdtempSync(join(tmpdir(), 'corsgate-profile-'));
  const profDir = values.keep ?? tmp;
  writeFileSync(join(tmp, 'allowed_origins.list'), `${APP}\n`);
  const upstreamPort = await freePort();
  const upstream = spawn(process.execPath, [join(here, 'upstream.mjs'), String(upstreamPort)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let gateway;
  try {
    await waitPort(upstreamPort);
    const port = await freePort();
    gateway = spawn(
      process.execPath,
      [
        ...(values.perf ? ['--perf-basic-prof'] : ['--cpu-prof', '--cpu-prof-dir', profDir]),
        join(root, 'packages/gateway/dist/cli/bin.js'),
        'serve',
        '--upstream',
        `http://127.0.0.1:${upstreamPort}`,
        '--allowlist',
        join(tmp, 'allowed_origins.list'),
        '--credentials',
        '--methods',
        'PUT,DELETE',
        '--max-age',
        '600',
        '--port',
        String(port),
        '--admin-port',
        '0',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    await waitPort(port);
    // V8 stamps profile samples with the monotonic clock in µs, as process.hrtime does here: only
    // the samples taken while wrk ran are aggregated (not start-up, not the idle tail).
    let recorder;
    if (values.perf) {
      // Warm up first so the JIT has settled, then record only the measured load.
      execFileSync('wrk', [
        '-t1',
        `-c${values.connections}`,
        '-d2s',
        '-H',
        `Origin: ${APP}`,
        `http://127.0.0.1:${port}/api/items`,
      ]);
      recorder = spawn(
        'perf',
        ['record', '-F', '999', '-g', '-p', String(gateway.pid), '-o', join(profDir, 'perf.data')],
        {
          stdio: ['ignore', 'ignore', 'ignore'],
        },
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    const from = Number(process.hrtime.bigint() / 1000n);
    const out = execFileSync(
      'wrk',
      [
        '-t1',
        `-c${values.connections}`,
        `-d${values.duration}s`,
        '--latency',
        '-H',
        `Origin: ${APP}`,
        `http://127.0.0.1:${port}/api/items`,
      ],
      { encoding: 'utf8' },
    );
    const to = Number(process.hrtime.bigint() / 1000n);
    console.error(out);
    if (recorder !== undefined) {
      const done = new Promise((r) => recorder.once('exit', r));
      recorder.kill('SIGINT');
      await done;
      const text = execFileSync('perf', ['script', '-i', join(profDir, 'perf.data'), '-F', 'ip,sym,dso'], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return { perfText: text };
    }
    await stop(gateway, PROFILE_GRACE_MS);
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('the gateway wrote no .cpuprofile');
    const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
    if (profile.startTime > from || profile.endTime < to)
      throw new Error(
        `profile clock does not cover the load window (${profile.startTime}..${profile.endTime} vs ${from}..${to})`,
      );
    return { profile, window: { from, to } };
  } finally {
    if (gateway !== undefined) await stop(gateway, PROFILE_GRACE_MS);
    await stop(upstream);
    if (values.keep === undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

const { profile, window, perfText } =
  values.profile === undefined
    ? await profileUnderLoad()
    : { profile: JSON.parse(readFileSync(values.profile, 'utf8')), window: undefined };
console.log(
  perfText === undefined
    ? aggregate(profile, Number(values.top), window)
    : aggregatePerf(perfText, Number(values.top)),
);
