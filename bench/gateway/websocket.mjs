#!/usr/bin/env node
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { freePort, launcher, stop, waitPort } from './_processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    size: { type: 'string', default: '64' },
  },
});
const DURATION_MS = Number(values.duration) * 1000;
const CONNECTIONS = Number(values.connections);
const MESSAGE = Buffer.alloc(Number(values.size), 120);
const APP = 'https://app.example.com';
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-bench-ws-'));
const started = [];
const launch = launcher(started);

function open(port, origin) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/bench`, { origin, perMessageDeflate: false });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    ws.once('error', (error) => resolve({ error }));
  });
}

/** The target echoes for the allowed origin and refuses another with 403, or it is not timed. */
async function check(port) {
  const ok = await open(port, APP);
  if (ok.ws === undefined) throw new Error(`allowed origin not opened: ${ok.status ?? ok.error}`);
  const echoed = await new Promise((r) => {
    ok.ws.once('message', (d) => r(String(d)));
    ok.ws.send('check');
  });
  ok.ws.close();
  if (echoed !== 'check') throw new Error('no echo');
  const refused = await open(port, 'https://evil.example');
  if (refused.status !== 403) throw new Error(`refused origin got ${refused.status ?? 'a socket'}`);
}

/** CONNECTIONS ping-pong loops for DURATION: every round trip's time, in ms. */
async function measure(port) {
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(port, APP)));
  const times = [];
  const until = performance.now() + DURATION_MS;
  await Promise.all(
    sockets.map(
      ({ ws }) =>
        new Promise((resolve) => {
          let sent = 0;
          const next = () => {
            if (performance.now() >= until) {
              ws.close();
              resolve();
              return;
            }
            sent = performance.now();
            ws.send(MESSAGE);
          };
          ws.on('message', () => {
            times.push(performance.now() - sent);
            next();
          });
          next();
        }),
    ),
  );
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { rate: times.length / (DURATION_MS / 1000), p50: at(0.5), p99: at(0.99) };
}

const upstreamPort = await freePort();
launch(process.execPath, [join(here, 'ws-upstream.mjs'), String(upstreamPort)]);
await waitPort(upstreamPort);
const allowlist = join(tmp, 'allowed_origins.list');
writeFileSync(allowlist, `${APP}\n`);

const TARGETS = [
  {
    name: 'upstream direct (no origin check)',
    direct: true,
    start: async () => upstreamPort,
  },
  {
    name: 'corsgate',
    start: async () => {
      const port = await freePort();
      launch(process.execPath, [
        join(root, 'packages/gateway/dist/cli/bin.js'),
        'serve',
        '--upstream',
        `http://127.0.0.1:${upstreamPort}`,
        '--allowlist',
        allowlist,
        '--port',
        String(port),
        '--admin-port',
        '0',
        '--log-level',
        'error',
      ]);
      await waitPort(port);
      return port;
    },
  },
  {
    name: 'nginx',
    start: async () => {
      const port = await freePort();
      const dir = join(tmp, 'nginx');
      mkdirSync(dir, { recursive: true });
      const conf = readFileSync(join(here, 'nginx-ws.conf.tpl'), 'utf8')
        .replaceAll('@DIR@', dir)
        .replaceAll('@PORT@', String(port))
        .replaceAll('@UPSTREAM@', String(upstreamPort));
      writeFileSync(join(dir, 'nginx.conf'), conf);
      launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
      await waitPort(port);
      return port;
    },
  },
];

const rows = [];
try {
  for (const target of TARGETS) {
    const before = started.length;
    const port = await target.start();
    if (!target.direct) await check(port);
    rows.push({ name: target.name, ...(await measure(port)) });
    for (const child of started.slice(before)) await stop(child);
  }
} finally {
  for (const child of started) await stop(child);
  rmSync(tmp, { recursive: true, force: true });
}
const nginx = rows.find((r) => r.name === 'nginx');
console.log(
  `\nWebSocket echo, ${CONNECTIONS} connections, ${MESSAGE.length}-byte messages, ${DURATION_MS / 1000} s each\n`,
);
console.log('| target | msgs/s | p50 ms | p99 ms | msgs/s vs nginx |');
console.log('| --- | --: | --: | --: | --: |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${Math.round(r.rate)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${(r.rate / nginx.rate).toFixed(2)}x |`,
  );
