/**
 * The source benchmarks run end to end before their figures are trusted: a short push-to-enforced
 * run over a real redis-server (its pushes must be applied on all three node processes, or it
 * throws), and a short 100,000-line run on a smaller list.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

function run(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(`../sources/${script}`, import.meta.url))],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

describe('source benchmarks', () => {
  it('push-to-enforced applies every push on all three nodes, through Redis and through a file', async () => {
    const out = await run('push-to-enforced.mjs', { ROUNDS: '5' });
    expect(out).toMatch(/^redis \(push → pub\/sub\) +p50 +[\d.]+ ms +p99 +[\d.]+ ms/m);
    expect(out).toMatch(/^file \(rename → fs\.watch\) +p50/m);
    expect(out).toMatch(/^ratio redis\/file p99: [\d.]+$/m);
  }, 120_000);

  it('push-100k applies every pushed list on the node, and measures the compile floor', async () => {
    const out = await run('push-100k.mjs', { ROUNDS: '2', LINES: '2000' });
    expect(out).toMatch(/^2,000-line list, 2 pushes each$/m);
    expect(out).toMatch(/^redis +notice→in force median +[\d.]+ ms/m);
    expect(out).toMatch(/^engine sliced compile alone/m);
  }, 120_000);
});
