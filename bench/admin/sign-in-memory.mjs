// What unauthenticated uploads to the admin listener cost in memory (issue 26, "Unauthenticated
// memory"): N raw sockets at once each announce a 16 MiB body to POST /console/sign-in and send
// it as fast as the listener reads it. Reports the answers and the gateway's resident memory
// (VmRSS now, VmHWM peak) before and after. Every socket is bounded in bytes and in time.
// Usage: node bench/admin/sign-in-memory.mjs [sockets]   (after node scripts/ensure.mjs)
import { connect } from 'node:net';
import { memoryMiB, startGateway } from './_gateway.mjs';

const SOCKETS = Number(process.argv[2] ?? 16);
const BODY = 16 * 1024 * 1024 - 1;
const CHUNK = Buffer.alloc(64 * 1024, 'a');
const DEADLINE_MS = 60_000;

function upload(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answer = '';
    const timer = setTimeout(() => finish('timeout'), DEADLINE_MS);
    const finish = (how) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? how, sent });
    };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('reset'));
    socket.on('connect', () => {
      socket.write(
        `POST /console/sign-in HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${BODY}\r\n\r\ntoken=`,
      );
      const pump = () => {
        while (sent < BODY && !socket.destroyed) {
          const n = Math.min(CHUNK.length, BODY - sent);
          sent += n;
          if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

const gw = await startGateway({ lines: 10 });
try {
  const before = memoryMiB(gw.pid);
  const t0 = Date.now();
  const results = await Promise.all(Array.from({ length: SOCKETS }, () => upload(gw.adminPort)));
  const after = memoryMiB(gw.pid);
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const mib = (n) => +n.toFixed(1);
  console.log(
    JSON.stringify({
      sockets: SOCKETS,
      statuses,
      bytesSentMiB: mib(results.reduce((s, r) => s + r.sent, 0) / 1048576),
      ms: Date.now() - t0,
      rssBeforeMiB: mib(before.rss),
      rssAfterMiB: mib(after.rss),
      peakMiB: mib(after.peak),
    }),
  );
} finally {
  await gw.stop();
}
