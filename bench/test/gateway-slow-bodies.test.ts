/**
 * The slow-bodies benchmark runs end to end on a tiny attack: small bodies trickled by raw sockets
 * against the gateway as it is (read whole first: the normal client gets no 503) and with every
 * body streamed (the pool is held: the normal client waits and gets 503). Figures from this run
 * mean nothing; bench/gateway/RESULTS.md has those.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = join(import.meta.dirname, '..', 'gateway');

describe('slow request bodies benchmark', () => {
  it('slow-bodies.mjs: the normal client is never answered 503 while bodies are read whole, and is when they stream', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        join(here, 'slow-bodies.mjs'),
        '--sockets',
        '12',
        '--seconds',
        '2',
        '--connections',
        '4',
        '--declared',
        '100',
        '--fill',
        '2000',
        '--queue-timeout',
        '500',
      ],
      { timeout: 120_000 },
    );
    const row = (attack: string, gateway: string): string[] => {
      const line = stdout
        .split('\n')
        .find((l) => l.startsWith(`| ${attack}`) && l.includes(`| ${gateway} |`));
      expect(line, `${attack} / ${gateway}`).toBeDefined();
      return line!.split('|').map((c) => c.trim());
    };
    // Columns: '', attack, gateway, normal GETs, 200, 503, median, worst, RSS before, growth, buffered, ''.
    const whole = row('12 sockets, 100-byte bodies', 'read whole (default)');
    expect(Number(whole[5])).toBe(0);
    expect(Number(whole[4])).toBeGreaterThan(0);
    const streamed = row('12 sockets, 100-byte bodies', 'streamed (--request-buffer-size 0)');
    expect(Number(streamed[5])).toBeGreaterThan(0);
    const filled = row('12 sockets, 3000-byte bodies', 'read whole (default)');
    expect(Number(filled[5])).toBe(0);
    // Twelve bodies of 2,000 bytes each were held at once (23.4 KiB), never more than declared.
    expect(Number(filled[10])).toBeGreaterThan(0);
    expect(Number(filled[10])).toBeLessThanOrEqual((12 * 3000) / 1024);
  }, 150_000);
});
