/**
 * The WebSocket and HTTP/2 gateway benchmarks run end to end on a tiny load: each target passes
 * its correctness check (echo and a refused origin's 403; an allowed preflight 204 and a refused
 * one 403) and gets a row. Figures from this run mean nothing; bench/gateway/RESULTS.md has those.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = join(import.meta.dirname, '..', 'gateway');

describe('gateway protocol benchmarks', () => {
  it('websocket.mjs: checks and measures the upstream direct, corsgate and nginx', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(here, 'websocket.mjs'), '--duration', '1', '--connections', '2'],
      {
        timeout: 90_000,
      },
    );
    for (const target of ['upstream direct (no origin check)', 'corsgate', 'nginx'])
      expect(stdout).toMatch(new RegExp(`^\\| ${target.replace(/[()]/g, '\\$&')} \\| \\d+ \\|`, 'm'));
  }, 120_000);

  it('h2-preflight.mjs: checks and measures corsgate and nginx over h2 and http/1.1', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(here, 'h2-preflight.mjs'), '--requests', '400', '--connections', '2', '--streams', '4'],
      { timeout: 90_000 },
    );
    expect(stdout).toMatch(/^\| corsgate h2 \| h2 \| \d+ \|/m);
    expect(stdout).toMatch(/^\| corsgate http\/1\.1 \| http\/1\.1 \| \d+ \|/m);
    expect(stdout).toMatch(/^\| nginx h2 \| h2 \| \d+ \|/m);
  }, 120_000);
});
