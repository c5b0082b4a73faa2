#!/usr/bin/env node
/**
 * HTTP/2 preflight benchmark: allowed CORS preflights per second through one corsgate listener
 * over h2 against the same listener over HTTP/1.1 (both TLS), and against nginx with HTTP/2 on.
 * Load: h2load (Debian's nghttp2-client), fixed requests, connections and streams per connection;
 * p99 from its per-request log.
 *
 *   flock /tmp/corsgate-bench.lock node bench/gateway/h2-preflight.mjs [--requests 200000] [--connections 16] [--streams 10]
 *
 * Before timing, each target must answer the allowed preflight 204 with ACAO and a refused one 403.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, launcher, stop, waitPort } from './_processes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200000' },
    connections: { type: 'string', default: '16' },
    streams: { type: 'string', default: '10' },
  },
});
const APP = 'https://app.example.com';
const tmp = mkdtempSync(join(tmpdir(), 'corsgate-bench-h2-'));
const started = [];
const launch = launcher(started);
const PREFLIGHT = [
  '-H',
  ':method: OPTIONS',
  '-H',
  `Origin: ${APP}`,
  '-H',
  'Access-Control-Request-Method: PUT',
];

/** One preflight over h2 with node:http2: status and ACAO. */
function preflight(port, origin) {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', reject);
    const req = session.request({
      ':method': 'OPTIONS',
      ':path': '/items',
      origin,
      'access-control-request-method': 'PUT',
    });
    req.on('response', (h) => {
      resolve({ status: h[':status'], acao: h['access-control-allow-origin'] });
      session.close();
    });
    req.resume();
  });
}

async function check(port) {
  const ok = await preflight(port, APP);
  if (ok.status !== 204 || ok.acao !== APP) throw new Error(`allowed preflight: ${JSON.stringify(ok)}`);
  const refused = await preflight(port, 'https://evil.example');
  if (refused.status !== 403) throw new Error(`refused preflight: ${refused.status}`);
}

function h2load(port, h1) {
  const log = join(tmp, `h2load-${port}-${h1 ? 'h1' : 'h2'}.log`);
  const out = execFileSync(
    'h2load',
    [
      ...(h1 ? ['--h1'] : []),
      '-n',
      values.requests,
      '-c',
      values.connections,
      '-m',
      h1 ? '1' : values.streams,
      '--log-file',
      log,
      ...PREFLIGHT,
      `https://127.0.0.1:${port}/items`,
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const rate = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1]);
  const protocol = /Application protocol: (\S+)/.exec(out)?.[1];
  const codes = /status codes: (\d+) 2xx/.exec(out)?.[1];
  if (Number(codes) !== Number(values.requests)) throw new Error(`not every preflight was 2xx:\n${out}`);
  // --log-file: start time (µs), status, elapsed (µs), one request a line.
  const elapsed = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split('\t')[2]) / 1000)
    .sort((a, b) => a - b);
  const at = (q) => elapsed[Math.min(elapsed.length - 1, Math.floor(q * elapsed.length))];
  return { rate, protocol, p50: at(0.5), p99: at(0.99) };
}

execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
    '-keyout',
    join(tmp, 'key.pem'),
    '-out',
    join(tmp, 'cert.pem'),
  ]),
  { stdio: 'ignore' },
);
const allowlist = join(tmp, 'allowed_origins.list');
writeFileSync(allowlist, `${APP}\n`);

async function startCorsgate() {
  const port = await freePort();
  launch(process.execPath, [
    join(root, 'packages/gateway/dist/cli/bin.js'),
    'serve',
    '--upstream',
    'http://127.0.0.1:9',
    '--allowlist',
    allowlist,
    '--methods',
    'PUT',
    '--max-age',
    '600',
    '--tls-cert',
    join(tmp, 'cert.pem'),
    '--tls-key',
    join(tmp, 'key.pem'),
    '--port',
    String(port),
    '--admin-port',
    '0',
    '--log-level',
    'error',
  ]);
  await waitPort(port);
  return port;
}

async function startNginx() {
  const port = await freePort();
  const dir = join(tmp, 'nginx');
  mkdirSync(dir, { recursive: true });
  for (const f of ['cert.pem', 'key.pem']) writeFileSync(join(dir, f), readFileSync(join(tmp, f)));
  const conf = readFileSync(join(here, 'nginx-h2.conf.tpl'), 'utf8')
    .replaceAll('@DIR@', dir)
    .replaceAll('@PORT@', String(port));
  writeFileSync(join(dir, 'nginx.conf'), conf);
  launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  await waitPort(port);
  return port;
}

const rows = [];
try {
  for (const [name, start] of [
    ['corsgate', startCorsgate],
    ['nginx', startNginx],
  ]) {
    const before = started.length;
    const port = await start();
    await check(port);
    rows.push({ name: `${name} h2`, ...h2load(port, false) });
    rows.push({ name: `${name} http/1.1`, ...h2load(port, true) });
    for (const child of started.slice(before)) await stop(child);
  }
} finally {
  for (const child of started) await stop(child);
  rmSync(tmp, { recursive: true, force: true });
}
const nginxH2 = rows.find((r) => r.name === 'nginx h2');
const gwH1 = rows.find((r) => r.name === 'corsgate http/1.1');
console.log(
  `\nAllowed preflights over TLS, ${values.requests} requests, ${values.connections} connections, ${values.streams} streams each on h2\n`,
);
console.log('| target | protocol | preflights/s | p50 ms | p99 ms | vs nginx h2 | vs corsgate http/1.1 |');
console.log('| --- | --- | --: | --: | --: | --: | --: |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.protocol} | ${Math.round(r.rate)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${(r.rate / nginxH2.rate).toFixed(2)}x | ${(r.rate / gwH1.rate).toFixed(2)}x |`,
  );
