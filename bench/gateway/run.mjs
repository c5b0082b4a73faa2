#!/usr/bin/env node
/**
 * Gateway load benchmark: one run, loopback, one server process each (plus `--workers 2`).
 * Targets: the bare upstream; corsgate; corsgate --workers 2; nginx (Debian) doing the same CORS
 * job by hand (nginx.conf.tpl); nginx running `corsgate export nginx` of the same policy
 * (nginx-export.conf.tpl); nginx with the field's hand-written `if ($http_origin ~ …)` config
 * (nginx-field.conf.tpl); @fastify/http-proxy + @fastify/cors. Kinds: an allowed actual GET (proxied), an allowed
 * preflight, a refused preflight. Load: wrk (Debian), one thread, fixed connections and duration.
 *
 *   flock /tmp/corsgate-bench.lock node bench/gateway/run.mjs [--duration 5] [--connections 64]
 *       [--warmup 1]
 *
 * Prints a Markdown table of req/s and p99 with ratios against the Fastify pair and nginx, and the
 * CPU time the server under test spent per request (user + system, all its processes): it does
 * not count the time a process waits for a core, but on a crowded VM it still moves (caches,
 * hyper-threads), so compare it within a run too.
 *
 * For an A/B on a loaded machine: `--targets nginx,corsgate,baseline --kinds actual --rounds 5
 * --baseline-dist DIR` runs the chosen targets one after the other, round after round, and reports
 * each figure's median over the rounds, the ratios taken within each round. `DIR` is an earlier
 * build of packages/gateway/dist (copied before the change), run as the target "baseline".
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, launcher, stop, waitPort } from './_processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    /** Seconds of load before each measurement: on a loaded machine 1 s leaves Node's JIT cold. */
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    /** Comma-separated target names (or unique prefixes of them); all by default. */
    targets: { type: 'string' },
    /** Comma-separated kinds; all by default. */
    kinds: { type: 'string' },
    'baseline-dist': { type: 'string' },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const BASELINE = values['baseline-dist'];
const APP = 'https://app.example.com';
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-bench-'));
const started = [];
const launch = launcher(started);

/** CPU time (user, system) in clock ticks of a process and all its descendants. */
function cpuTicks(pid) {
  let user = 0;
  let system = 0;
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(fields[11]);
    system += Number(fields[12]);
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children === '' ? [] : children.split(' ')) {
        const c = cpuTicks(Number(child));
        user += c.user;
        system += c.system;
      }
    }
  } catch {
    // The process ended meanwhile: its time is no longer readable, and it served no request.
  }
  return { user, system };
}
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const KINDS = {
  actual: ['-H', `Origin: ${APP}`],
  'preflight allowed': [
    '-H',
    `Origin: ${APP}`,
    '-H',
    'Access-Control-Request-Method: PUT',
    '-s',
    join(here, 'options.lua'),
  ],
  'preflight refused': [
    '-H',
    'Origin: https://evil.example',
    '-H',
    'Access-Control-Request-Method: PUT',
    '-s',
    join(here, 'options.lua'),
  ],
};

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(port, kind, duration = DURATION, pid = undefined) {
  const before = pid === undefined ? undefined : cpuTicks(pid);
  const out = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${duration}s`,
      '--latency',
      ...KINDS[kind],
      `http://127.0.0.1:${port}/api/items`,
    ],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  let cpuUs = Number.NaN;
  if (before !== undefined) {
    const after = cpuTicks(pid);
    const ticks = after.user - before.user + after.system - before.system;
    cpuUs = (ticks * 1e6) / TICKS_PER_SECOND / requests;
  }
  return { rps, p99, cpuUs, non2xx: Number(errors ?? 0), socketErrors: socketErrors ?? '' };
}

/** Checks a target answers each kind as the CORS job requires before measuring it. */
async function verify(port, name) {
  if (name.includes('undici proxy')) {
    const a = await fetch(`http://127.0.0.1:${port}/api/items`, { headers: { Origin: APP } });
    const body = await a.json();
    if (a.status !== 200 || body.id !== 1) throw new Error(`${name}: the upstream's answer was not relayed`);
    return `${name}: actual ${a.status} with the upstream's body, no CORS headers (forwarding only)`;
  }
  if (name.startsWith('node:http')) return `${name}: 204 for an allowed origin, 403 otherwise, no forwarding`;
  const a = await fetch(`http://127.0.0.1:${port}/api/items`, { headers: { Origin: APP } });
  const p = await fetch(`http://127.0.0.1:${port}/api/items`, {
    method: 'OPTIONS',
    headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' },
  });
  const r = await fetch(`http://127.0.0.1:${port}/api/items`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' },
  });
  const summary = `${name}: actual ${a.status} ACAO=${a.headers.get('access-control-allow-origin')}; preflight ${p.status} ACAO=${p.headers.get('access-control-allow-origin')}; refused ${r.status} ACAO=${r.headers.get('access-control-allow-origin')}`;
  console.error(summary);
  return summary;
}

const upstreamPort = await freePort();
const upstream = launch(process.execPath, [join(here, 'upstream.mjs'), String(upstreamPort)]);
await waitPort(upstreamPort);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
writeFileSync(join(tmp, 'allowed_origins.list'), `${APP}\n`);

/** corsgate serve in front of the upstream, with the policy every target applies. */
async function startCorsgate(port, extra, dist = join(root, 'packages/gateway/dist')) {
  const child = launch(process.execPath, [
    join(dist, 'cli/bin.js'),
    'serve',
    '--upstream',
    upstreamUrl,
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
    ...extra,
  ]);
  await waitPort(port);
  return { port, pid: child.pid, stop: () => stop(child) };
}

/** nginx (Debian) on a template of this directory, in its own directory. */
async function startNginx(port, dir, template) {
  mkdirSync(dir, { recursive: true });
  const conf = readFileSync(join(here, template), 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@PORT@', String(port))
    .replaceAll('@UPSTREAM@', String(upstreamPort));
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  await waitPort(port);
  return { port, pid: child.pid, stop: () => stop(child) };
}

/** `corsgate export nginx` of the policy every target applies, then nginx on it. */
async function startExportedNginx(port, name, extra) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, [
    join(root, 'packages/gateway/dist/cli/bin.js'),
    'export',
    'nginx',
    '--upstream',
    upstreamUrl,
    '--allowlist',
    join(tmp, 'allowed_origins.list'),
    '--credentials',
    '--methods',
    'PUT,DELETE',
    '--max-age',
    '600',
    '--out',
    dir,
    ...extra,
  ]);
  return startNginx(port, dir, 'nginx-export.conf.tpl');
}

const allTargets = [
  {
    name: 'upstream alone',
    kinds: ['actual'],
    start: async () => ({ stop: async () => undefined, port: upstreamPort, pid: upstream.pid }),
  },
  {
    // The ceiling for a node:http proxy on undici: forwards every request, no CORS logic.
    name: 'node:http + undici proxy (ceiling)',
    kinds: ['actual'],
    start: async (port) => {
      const child = launch(process.execPath, [join(here, 'bare-proxy.mjs'), upstreamUrl, String(port)]);
      await waitPort(port);
      return { port, pid: child.pid, stop: () => stop(child) };
    },
  },
  {
    // The ceiling for any node:http server: answers every request at once, no CORS logic.
    name: 'node:http answering directly (ceiling)',
    kinds: ['preflight allowed', 'preflight refused'],
    start: async (port) => {
      const child = launch(process.execPath, [join(here, 'bare.mjs'), String(port)]);
      await waitPort(port);
      return { port, pid: child.pid, stop: () => stop(child) };
    },
  },
  { name: 'corsgate', start: (port) => startCorsgate(port, []) },
  ...(BASELINE === undefined
    ? []
    : [{ name: 'baseline', start: (port) => startCorsgate(port, [], BASELINE) }]),
  { name: 'corsgate --workers 2', start: (port) => startCorsgate(port, ['--workers', '2']) },
  { name: 'nginx', start: (port) => startNginx(port, join(tmp, 'nginx'), 'nginx.conf.tpl') },
  {
    // The same policy exported by `corsgate export nginx` (docs/nginx.md), same nginx settings.
    name: 'nginx + corsgate export',
    start: (port) => startExportedNginx(port, 'nginx-export', []),
  },
  {
    // Without the njs module: the first line of a repeated header decides (docs/nginx.md).
    name: 'nginx + corsgate export --dangerously-without-njs',
    start: (port) => startExportedNginx(port, 'nginx-export-plain', ['--dangerously-without-njs']),
  },
  {
    name: 'nginx field config (if on $http_origin)',
    start: (port) => startNginx(port, join(tmp, 'nginx-field'), 'nginx-field.conf.tpl'),
  },
  {
    name: 'fastify-http-proxy + @fastify/cors',
    start: async (port) => {
      const child = launch(process.execPath, [join(here, 'fastify-proxy.mjs'), upstreamUrl, String(port)]);
      await waitPort(port);
      return { port, pid: child.pid, stop: () => stop(child) };
    },
  },
];

const wanted = values.targets?.split(',').map((t) => t.trim());
const targets =
  wanted === undefined
    ? allTargets
    : wanted.map((w) => {
        const exact = allTargets.filter((t) => t.name === w);
        const hits = exact.length === 1 ? exact : allTargets.filter((t) => t.name.startsWith(w));
        if (hits.length !== 1) {
          upstream.kill('SIGKILL');
          throw new Error(`--targets: "${w}" names ${hits.length} targets`);
        }
        return hits[0];
      });
const kindsWanted = values.kinds?.split(',').map((k) => k.trim());
for (const k of kindsWanted ?? [])
  if (!(k in KINDS)) {
    upstream.kill('SIGKILL');
    throw new Error(`--kinds: no kind "${k}"`);
  }

/** rounds[i][target][kind]: one measurement; every figure below is a median over the rounds. */
const rounds = [];
const checks = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const results = {};
    rounds.push(results);
    for (const target of targets) {
      const kinds = (target.kinds ?? Object.keys(KINDS)).filter((k) => kindsWanted?.includes(k) ?? true);
      if (kinds.length === 0) continue;
      const t = await target.start(await freePort());
      try {
        if (round === 0) checks.push(await verify(t.port, target.name));
        results[target.name] = {};
        for (const kind of kinds) {
          wrk(t.port, kind, Number(values.warmup)); // warm-up
          results[target.name][kind] = wrk(t.port, kind, DURATION, t.pid);
          console.error(round, target.name, kind, JSON.stringify(results[target.name][kind]));
        }
      } finally {
        await t.stop();
      }
    }
  }
} finally {
  await stop(upstream);
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
/** The median over the rounds of a figure, or of its ratio to a peer's in the same round. */
const figure = (name, kind, field, peer) =>
  median(
    rounds.map((r) => {
      const mine = r[name]?.[kind]?.[field];
      if (peer === undefined) return mine;
      const theirs = r[peer]?.[kind]?.[field];
      return mine === undefined || theirs === undefined ? undefined : mine / theirs;
    }),
  );
const fmt = (x, digits, unit = '') => (x === undefined ? '–' : `${x.toFixed(digits)}${unit}`);
const FASTIFY = 'fastify-http-proxy + @fastify/cors';
/** The bare node:http + undici proxy: what any Node proxy on undici costs before doing anything. */
const BARE = 'node:http + undici proxy (ceiling)';
const lines = [];
lines.push(
  `wrk -t1 -c${CONNECTIONS} -d${DURATION}s, ${ROUNDS} round(s), node ${process.version}, ${new Date().toISOString()}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
lines.push('');
lines.push(
  '| target | kind | req/s | p99 ms | CPU µs/req | req/s vs fastify | req/s vs nginx | p99 vs fastify | p99 vs nginx | CPU/req vs nginx | non-2xx | req/s vs bare proxy | CPU/req vs bare proxy |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const names = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
for (const name of names) {
  const kinds = [...new Set(rounds.flatMap((r) => Object.keys(r[name] ?? {})))];
  for (const kind of kinds) {
    lines.push(
      `| ${name} | ${kind} | ${fmt(figure(name, kind, 'rps'), 0)} | ${fmt(figure(name, kind, 'p99'), 2)} | ${fmt(figure(name, kind, 'cpuUs'), 1)} | ${fmt(figure(name, kind, 'rps', FASTIFY), 2, 'x')} | ${fmt(figure(name, kind, 'rps', 'nginx'), 2, 'x')} | ${fmt(figure(name, kind, 'p99', FASTIFY), 2, 'x')} | ${fmt(figure(name, kind, 'p99', 'nginx'), 2, 'x')} | ${fmt(figure(name, kind, 'cpuUs', 'nginx'), 2, 'x')} | ${figure(name, kind, 'non2xx')} | ${fmt(figure(name, kind, 'rps', BARE), 2, 'x')} | ${fmt(figure(name, kind, 'cpuUs', BARE), 2, 'x')} |`,
    );
  }
}
lines.push('');
lines.push(
  'p99 and CPU ratios: lower is better (target / peer). CPU µs/req: user + system time of the server under test (all its processes) over the requests it served. non-2xx counts refused preflights (403), as intended.',
);
lines.push('');
lines.push('Checked before measuring:');
for (const c of checks) lines.push(`- ${c}`);
console.log(lines.join('\n'));
