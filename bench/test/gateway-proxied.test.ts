/**
 * The proxied HTTP/1.1 benchmark tools run end to end on a tiny load: run.mjs with a target
 * selection over two rounds (nginx, corsgate, an earlier build as the baseline, the bare
 * node:http + undici proxy), each checked before it is measured, with the CPU-per-request column;
 * and profile.mjs aggregating a real `--cpu-prof` of the gateway under load. Figures from this run
 * mean nothing; bench/gateway/RESULTS.md has those.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = join(import.meta.dirname, '..', 'gateway');
const dist = join(import.meta.dirname, '..', '..', 'packages', 'gateway', 'dist');

describe('proxied HTTP/1.1 benchmark tools', () => {
  it('run.mjs: interleaved rounds of the chosen targets, each checked, with CPU time per request', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        join(here, 'run.mjs'),
        '--targets',
        'nginx,corsgate,baseline,node:http + undici',
        '--kinds',
        'actual',
        '--rounds',
        '2',
        '--duration',
        '1',
        '--connections',
        '4',
        '--baseline-dist',
        dist,
      ],
      { timeout: 150_000 },
    );
    expect(stdout).toMatch(/2 round\(s\)/);
    for (const target of ['nginx', 'corsgate', 'baseline', 'node:http \\+ undici proxy \\(ceiling\\)'])
      expect(stdout).toMatch(
        new RegExp(`^\\| ${target} \\| actual \\| \\d+ \\| [\\d.]+ \\| [\\d.]+ \\|`, 'm'),
      );
    expect(stdout).toMatch(/^- corsgate: actual 200 ACAO=https:\/\/app\.example\.com;/m);
    expect(stdout).toMatch(/^- node:http \+ undici proxy \(ceiling\): actual 200 with the upstream's body/m);
    expect(stdout).toMatch(/^\| nginx \| actual \| \d+ \| [\d.]+ \| [\d.]+ \| – \| 1\.00x \|/m);
  }, 180_000);

  it('profile.mjs: a --cpu-prof of the gateway under load, self time by component', async () => {
    const { stdout } = await run(
      process.execPath,
      [join(here, 'profile.mjs'), '--duration', '2', '--connections', '4', '--top', '5'],
      { timeout: 90_000 },
    );
    expect(stdout).toMatch(/^profile: [\d.]+ s sampled/m);
    expect(stdout).toMatch(/^\| undici \(upstream client\) \| \d+ ms \| [\d.]+% \|/m);
    expect(stdout).toMatch(/^\| node:http \(server side\) \| \d+ ms \| [\d.]+% \|/m);
  }, 120_000);
});
