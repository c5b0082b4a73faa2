#!/usr/bin/env node
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
/**
 * Slow request bodies against the gateway (issue 26): N raw sockets send a refused origin's GET
 * with a small declared body and then one byte a second, while a normal client sends a GET every
 * 100 ms. Run against the gateway as it is (small bodies read whole before they take an upstream
 * connection, docs/gateway.md "Slow clients") and, in the same run, with `--request-buffer-size 0`
 * (every body streamed, as before). Reports, for each: the normal client's answers (200s, 503s,
 * median and worst time), the gateway's resident memory before and at its peak (VmRSS sampled
 * every 50 ms), and the bytes its buffers held. A second attack fills each body to `--fill` bytes
 * at once before trickling, the worst the memory bound has to hold.
 *
 *   flock /tmp/corsgate-bench.lock node bench/gateway/slow-bodies.mjs [--sockets 300]
 *       [--seconds 10] [--declared 1000] [--fill 60000] [--connections 256] [--queue-timeout 5000]
 *
 * Bounded: every socket is closed after `--seconds`, every process stopped at the end.
 */
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, launcher, stop, waitPort } from './_processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '10' },
    declared: { type: 'string', default: '1000' },
    fill: { type: 'string', default: '60000' },
    connections: { type: 'string', default: '256' },
    'queue-timeout': { type: 'string', default: '5000' },
  },
});
const SOCKETS = Number(values.sockets);
const SECONDS = Number(values.seconds);
const DECLARED = Number(values.declared);
const FILL = Number(values.fill);
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-slow-bodies-'));
const started = [];
const launch = launcher(started);

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

async function gauge(adminPort, name) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** One normal GET; its status and time. */
async function probe(port) {
  const t = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/items`, {
      headers: { Origin: APP },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t };
  } catch {
    return { status: 0, ms: performance.now() - t };
  }
}

/** The attack: sockets that declare `declared` bytes, send `first` at once, then a byte a second. */
function attack(port, declared, first) {
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.once('connect', () =>
      s.write(
        `GET /slow-${i} HTTP/1.1\r\nHost: api.test\r\nOrigin: ${EVIL}\r\nContent-Length: ${declared}\r\n\r\n${'x'.repeat(first)}`,
      ),
    );
    sockets.push(s);
  }
  const timer = setInterval(() => {
    for (const s of sockets) if (s.writable) s.write('x');
  }, 1000);
  return () => {
    clearInterval(timer);
    for (const s of sockets) s.destroy();
  };
}

async function scenario(upstreamUrl, name, extra, declared, first) {
  const port = await freePort();
  const adminPort = await freePort();
  const list = join(tmp, 'allowed_origins.list');
  const child = launch(process.execPath, [
    join(root, 'packages/gateway/dist/cli/bin.js'),
    'serve',
    '--upstream',
    upstreamUrl,
    '--allowlist',
    list,
    '--port',
    String(port),
    '--admin-port',
    String(adminPort),
    '--log-level',
    'error',
    '--upstream-connections',
    values.connections,
    '--upstream-queue-timeout',
    values['queue-timeout'],
    // Long enough that the attack, not the deadline, decides what happens while it lasts.
    '--request-timeout',
    String((SECONDS + 30) * 1000),
    ...extra,
  ]);
  await waitPort(port);
  await probe(port);
  const before = rssKiB(child.pid);
  let peak = before;
  let heldPeak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKiB(child.pid));
  }, 50);
  const end = attack(port, declared, first);
  const probes = [];
  const until = Date.now() + SECONDS * 1000;
  while (Date.now() < until) {
    probes.push(await probe(port));
    heldPeak = Math.max(heldPeak, await gauge(adminPort, 'corsgate_request_buffer_bytes'));
    await new Promise((r) => setTimeout(r, 100));
  }
  end();
  clearInterval(sampler);
  await stop(child);
  const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
  return {
    name,
    probes: probes.length,
    ok: probes.filter((p) => p.status === 200).length,
    busy: probes.filter((p) => p.status === 503).length,
    medianMs: ms[Math.floor(ms.length / 2)] ?? Number.NaN,
    worstMs: ms[ms.length - 1] ?? Number.NaN,
    rssBeforeMiB: before / 1024,
    rssPeakGrowthMiB: (peak - before) / 1024,
    bufferedPeakKiB: heldPeak / 1024,
  };
}

const upstreamPort = await freePort();
const upstream = launch(process.execPath, [join(here, 'upstream.mjs'), String(upstreamPort)]);
const rows = [];
try {
  await waitPort(upstreamPort);
  writeFileSync(join(tmp, 'allowed_origins.list'), `${APP}\n`);
  const url = `http://127.0.0.1:${upstreamPort}`;
  const trickle = `${SOCKETS} sockets, ${DECLARED}-byte bodies, 1 byte/s`;
  const filled = `${SOCKETS} sockets, ${FILL + 1000}-byte bodies, ${FILL} bytes at once then 1 byte/s`;
  rows.push({ attack: trickle, ...(await scenario(url, 'read whole (default)', [], DECLARED, 1)) });
  rows.push({
    attack: trickle,
    ...(await scenario(
      url,
      'streamed (--request-buffer-size 0)',
      ['--request-buffer-size', '0'],
      DECLARED,
      1,
    )),
  });
  rows.push({ attack: filled, ...(await scenario(url, 'read whole (default)', [], FILL + 1000, FILL)) });
} finally {
  await stop(upstream);
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const lines = [
  `${SECONDS} s each, --upstream-connections ${values.connections}, node ${process.version}, ${new Date().toISOString()}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
  '',
  '| attack | gateway | normal GETs | 200 | 503 | median ms | worst ms | RSS before MiB | RSS peak growth MiB | buffered peak KiB |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.attack} | ${r.name} | ${r.probes} | ${r.ok} | ${r.busy} | ${f(r.medianMs)} | ${f(r.worstMs)} | ${f(r.rssBeforeMiB)} | ${f(r.rssPeakGrowthMiB)} | ${f(r.bufferedPeakKiB, 1)} |`,
  ),
];
console.log(lines.join('\n'));
