#!/usr/bin/env node
/**
 * Gateway load benchmark: one run, loopback, one server process each (plus `--workers 2`).
 * Targets: the bare upstream; corsgate; corsgate --workers 2; nginx (Debian) doing the same CORS
 * job; @fastify/http-proxy + @fastify/cors. Kinds: an allowed actual GET (proxied), an allowed
 * preflight, a refused preflight. Load: wrk (Debian), one thread, fixed connections and duration.
 *
 *   flock /tmp/corsgate-bench.lock node bench/gateway/run.mjs [--duration 5] [--connections 64]
 *
 * Prints a Markdown table of req/s and p99 with ratios against the Fastify pair and nginx.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '64' } },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const APP = 'https://app.example.com';
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-bench-'));
const started = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitPort(port, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        if (Date.now() > until) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function launch(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  started.push(child);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

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

function wrk(port, kind, duration = DURATION) {
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
  return { rps, p99, non2xx: Number(errors ?? 0), socketErrors: socketErrors ?? '' };
}

/** Checks a target answers each kind as the CORS job requires before measuring it. */
async function verify(port, name) {
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
async function startCorsgate(port, extra) {
  const child = launch(process.execPath, [
    join(root, 'packages/gateway/dist/cli/bin.js'),
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
  return { port, stop: () => stop(child) };
}

const targets = [
  {
    name: 'upstream alone',
    kinds: ['actual'],
    start: async (port) => ({ stop: async () => undefined, port: upstreamPort, _: port }),
  },
  {
    // The ceiling for any node:http server: answers every request at once, no CORS logic.
    name: 'node:http answering directly (ceiling)',
    kinds: ['preflight allowed', 'preflight refused'],
    start: async (port) => {
      const child = launch(process.execPath, [join(here, 'bare.mjs'), String(port)]);
      await waitPort(port);
      return { port, stop: () => stop(child) };
    },
  },
  { name: 'corsgate', start: (port) => startCorsgate(port, []) },
  { name: 'corsgate --workers 2', start: (port) => startCorsgate(port, ['--workers', '2']) },
  {
    name: 'nginx',
    start: async (port) => {
      const dir = join(tmp, 'nginx');
      mkdirSync(dir, { recursive: true });
      const conf = readFileSync(join(here, 'nginx.conf.tpl'), 'utf8')
        .replaceAll('@DIR@', dir)
        .replaceAll('@PORT@', String(port))
        .replaceAll('@UPSTREAM@', String(upstreamPort));
      writeFileSync(join(dir, 'nginx.conf'), conf);
      const child = launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
      await waitPort(port);
      return { port, stop: () => stop(child) };
    },
  },
  {
    name: 'fastify-http-proxy + @fastify/cors',
    start: async (port) => {
      const child = launch(process.execPath, [join(here, 'fastify-proxy.mjs'), upstreamUrl, String(port)]);
      await waitPort(port);
      return { port, stop: () => stop(child) };
    },
  },
];

const results = {};
const checks = [];
try {
  for (const target of targets) {
    const t = await target.start(await freePort());
    try {
      checks.push(await verify(t.port, target.name));
      results[target.name] = {};
      for (const kind of target.kinds ?? Object.keys(KINDS)) {
        wrk(t.port, kind, 1); // warm-up
        results[target.name][kind] = wrk(t.port, kind);
        console.error(target.name, kind, JSON.stringify(results[target.name][kind]));
      }
    } finally {
      await t.stop();
    }
  }
} finally {
  await stop(upstream);
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

const ratio = (a, b) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}x`);
const lines = [];
lines.push(`wrk -t1 -c${CONNECTIONS} -d${DURATION}s, node ${process.version}, ${new Date().toISOString()}`);
lines.push('');
lines.push(
  '| target | kind | req/s | p99 ms | req/s vs fastify | req/s vs nginx | p99 vs fastify | p99 vs nginx | non-2xx |',
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, kinds] of Object.entries(results)) {
  for (const [kind, r] of Object.entries(kinds)) {
    const f = results['fastify-http-proxy + @fastify/cors']?.[kind];
    const n = results.nginx?.[kind];
    lines.push(
      `| ${name} | ${kind} | ${Math.round(r.rps)} | ${r.p99.toFixed(2)} | ${ratio(r.rps, f?.rps)} | ${ratio(r.rps, n?.rps)} | ${ratio(r.p99, f?.p99)} | ${ratio(r.p99, n?.p99)} | ${r.non2xx} |`,
    );
  }
}
lines.push('');
lines.push(
  'p99 ratios: lower is better (corsgate p99 / peer p99). non-2xx counts refused preflights (403), as intended.',
);
lines.push('');
lines.push('Checked before measuring:');
for (const c of checks) lines.push(`- ${c}`);
console.log(lines.join('\n'));
