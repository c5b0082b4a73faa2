// Starting the built gateway for the admin benchmarks: a 100,000-line list (or a small one), one
// admin token, every listener on loopback, and the process's pid for /proc readings.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, stop, waitPort } from '../gateway/_processes.mjs';

export const BIN = resolve(import.meta.dirname, '../../packages/gateway/dist/cli/bin.js');
export const TOKEN = 'bench-admin-token-0123456789';

/** `lines` origins, one a line, with a comment on top. */
export function listText(lines) {
  const out = ['# benchmark list'];
  for (let i = 0; i < lines; i++) out.push(`https://app${i}.example.com`);
  return `${out.join('\n')}\n`;
}

/** Starts `corsgate serve`; resolves once the admin listener answers /ready with 200. */
export async function startGateway({ lines = 100_000, extra = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-bench-admin-'));
  const list = join(dir, 'allowed_origins.list');
  writeFileSync(list, listText(lines));
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, `bench:${TOKEN}\n`);
  const [port, adminPort, upstreamPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--upstream',
      `http://127.0.0.1:${upstreamPort}`,
      '--allowlist',
      list,
      '--port',
      String(port),
      '--admin-port',
      String(adminPort),
      '--admin-token-file',
      tokens,
      '--log-level',
      'silent',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await waitPort(adminPort, 60_000);
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${adminUrl}/ready`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    port,
    adminPort,
    adminUrl,
    url: `http://127.0.0.1:${port}`,
    list,
    async stop() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** VmRSS and VmHWM (peak) of a process in MiB (Linux). */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}
