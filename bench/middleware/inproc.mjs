// In-process benchmark: the CPU cost of one request through each framework without CORS, with its
// usual CORS package and with corsgate, without sockets or a load generator. Requests are injected
// with light-my-request (Fastify's own injector) into the same request listener the load benchmark
// serves; mitata measures each. Less exposed than wrk to the load of a shared machine, because it
// needs one core and keeps the fastest sample of each measurement. Reported: the time per request
// (mitata's minimum, median over rounds) and the overhead over the same framework without CORS, in µs.
//   flock /tmp/corsgate-bench.lock node bench/middleware/inproc.mjs
// Environment: ROUNDS (5), FRAMEWORKS (comma list, default all).
import { loadavg } from 'node:os';
import { inject } from 'light-my-request';
import { measure } from 'mitata';
import { checkScenario } from './check.mjs';
import { buildListener, FRAMEWORKS, KINDS, PEER, startServer, VARIANTS } from './servers.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const frameworks = process.env.FRAMEWORKS ? process.env.FRAMEWORKS.split(',') : FRAMEWORKS;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const rows = [];
const loads = [];
for (const framework of frameworks) {
  const targets = {};
  for (const variant of VARIANTS) {
    // The same scenario is checked over a real socket first, then its listener is used in-process.
    const server = await startServer(framework, variant);
    await checkScenario(framework, variant, server.port);
    await server.close();
    targets[variant] = await buildListener(framework, variant);
  }
  for (const [kind, { method, headers }] of Object.entries(KINDS)) {
    const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    const options = { method, url: '/api/items', headers };
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const variant = VARIANTS[(i + round) % VARIANTS.length];
        const target = targets[variant];
        const response = await inject(target, options);
        if (response.statusCode >= 500)
          throw new Error(`${framework}/${variant} ${kind}: ${response.statusCode}`);
        const stats = await measure(async () => {
          await inject(target, options);
        });
        // The minimum is the sample least disturbed by other processes taking the core away.
        samples[variant].push(stats.min / 1000);
        loads.push(loadavg()[0]);
      }
    }
    const base = median(samples.none);
    for (const variant of VARIANTS) {
      const us = median(samples[variant]);
      rows.push({ framework, kind, variant, us, overhead: us - base, ratio: base / us });
    }
    console.error(
      `${framework} ${kind}: ${VARIANTS.map((v) => `${v} ${median(samples[v]).toFixed(2)} µs`).join(', ')}`,
    );
  }
}

const name = (f, v) => (v === 'none' ? 'no CORS' : v === 'peer' ? PEER[f] : 'corsgate');
console.log(
  '| framework | request | variant | µs/request (min, median of rounds) | overhead µs vs no CORS | throughput ratio (no-CORS time / time) |',
);
console.log('|:--|:--|:--|--:|--:|--:|');
for (const r of rows)
  console.log(
    `| ${r.framework} | ${r.kind} | ${name(r.framework, r.variant)} | ${r.us.toFixed(2)} | ${r.variant === 'none' ? '—' : (r.overhead >= 0 ? '+' : '') + r.overhead.toFixed(2)} | ${r.ratio.toFixed(3)} |`,
  );
console.log(
  `\nload average during measurements: median ${median(loads).toFixed(2)}, max ${Math.max(...loads).toFixed(2)} (2 cores); rounds ${ROUNDS}`,
);
