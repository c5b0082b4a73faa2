/**
 * Sentinel (docs/sources.md "Sentinel"): a real master, replica and redis-sentinel; the master is
 * killed in the middle of traffic and of a stream of writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFailover } from './_failover.js';
import { type SentinelSetup, startSentinel } from './_redis-ha.js';

let ha: SentinelSetup;
beforeAll(async () => {
  ha = await startSentinel();
}, 30_000);
afterAll(async () => {
  await ha?.stop();
});

describe('a fleet on Redis Sentinel', () => {
  it('follows a failover: writes reach the new master, every node applies a version written after it, no request waits, no write is lost or applied twice', async () => {
    const figures = await runFailover(ha.url, () => ha.failover());
    console.log(`sentinel failover figures: ${JSON.stringify(figures)}`);
    expect(ha.replicas.map((r) => r.port)).toContain(await ha.masterPort());
    expect(figures.writeAgainMs).toBeGreaterThan(0);
    expect(figures.everyNodeMs).toBeGreaterThan(0);
    expect(figures.waitedOnRedis).toBe(0);
    expect(figures.decidedOnUnvalidated).toBe(0);
    expect(figures.writesLost).toBe(0);
    expect(figures.writesTwice).toBe(0);
    for (const code of Object.keys(figures.writesRefused))
      expect(['CG_ALLOWLIST_UNREACHABLE', 'CG_ALLOWLIST_WRITE_UNCONFIRMED']).toContain(code);
  }, 60_000);
});
