// How long traffic waits while the console renders a 100,000-line list and while an admin add
// runs (issue 26, "The console during an outage"). A prober sends one preflight after another to
// the traffic listener (answered by the gateway itself, no upstream), and records each one's
// latency; the stall is the longest wait in a phase, against the idle phase of the same run.
// Usage: node bench/admin/console-stall.mjs [rounds]   (after node scripts/ensure.mjs)
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startGateway, TOKEN } from './_gateway.mjs';

const ROUNDS = Number(process.argv[2] ?? 3);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function preflight(port) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'OPTIONS',
        path: '/items',
        agent,
        headers: { origin: 'https://app7.example.com', 'access-control-request-method': 'GET' },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs the prober until `work` settles; returns the latencies seen meanwhile (ms). */
async function probeDuring(port, work) {
  const latencies = [];
  let done = false;
  const prober = (async () => {
    while (!done) {
      const t = performance.now();
      await preflight(port);
      latencies.push(performance.now() - t);
    }
  })();
  const t0 = performance.now();
  await work();
  const workMs = performance.now() - t0;
  done = true;
  await prober;
  return { latencies, workMs };
}

function summary({ latencies, workMs }) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    probes: sorted.length,
    p50: +at(0.5).toFixed(2),
    p99: +at(0.99).toFixed(2),
    max: +(sorted.at(-1) ?? 0).toFixed(2),
    workMs: +workMs.toFixed(1),
  };
}

const idle = () => new Promise((r) => setTimeout(r, 1500));
const auth = { authorization: `Bearer ${TOKEN}` };

async function pages(gw, n) {
  for (let i = 0; i < n; i++) await (await fetch(`${gw.adminUrl}/`, { headers: auth })).text();
}

async function adds(gw, n) {
  for (let i = 0; i < n; i++) {
    const origin = `https://bench-add-${i}.example.net`;
    const add = await fetch(`${gw.adminUrl}/allowlist/origins`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ origin }),
    });
    await add.text();
    if (add.status !== 200) throw new Error(`add answered ${add.status}`);
    const del = await fetch(`${gw.adminUrl}/allowlist/origins?origin=${encodeURIComponent(origin)}`, {
      method: 'DELETE',
      headers: auth,
    });
    await del.text();
  }
}

const gw = await startGateway({ lines: 100_000 });
try {
  await pages(gw, 1);
  for (let round = 1; round <= ROUNDS; round++) {
    const row = {
      round,
      idle: summary(await probeDuring(gw.port, idle)),
      console10: summary(await probeDuring(gw.port, () => pages(gw, 10))),
      add5remove5: summary(await probeDuring(gw.port, () => adds(gw, 5))),
    };
    console.log(JSON.stringify(row));
  }
} finally {
  agent.destroy();
  await gw.stop();
}
