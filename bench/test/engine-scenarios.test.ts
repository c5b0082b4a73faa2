import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM module without types, shared with the timed run
import { buildScenarios, runOnce } from '../engine/scenarios.mjs';

interface Outcome {
  next: boolean;
  status: number;
  headers: Record<string, string>;
}
interface Scenario {
  name: string;
  corsgate: (req: unknown, res: unknown, next: () => void) => void;
  cors: (req: unknown, res: unknown, next: () => void) => void;
  req: unknown;
  expect: { corsgate: Outcome; cors: Outcome };
}

// Every scenario bench/engine/run.mjs times, proved to decide correctly first: the same
// objects, built by the same function, as the benchmark uses.
const scenarios = buildScenarios() as Scenario[];

describe('engine benchmark scenarios decide correctly before they are timed', () => {
  it('covers every case the issue names', () => {
    expect(scenarios.map((s) => s.name)).toEqual([
      'allowed actual (10 exact entries)',
      'allowed preflight, 3 request headers',
      'disallowed preflight',
      'hostile ACRH (8 KiB of commas)',
      'hostile ACRH (1 MiB of commas)',
      'allowed actual, 10 exact entries',
      'allowed actual, 10 wildcard entries',
      'allowed actual, 10000 exact entries',
      'allowed actual, 10000 wildcard entries',
      'allowed actual, 100000 exact entries',
      'allowed actual, 100000 wildcard entries',
    ]);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('corsgate: %s', (_name, s) => {
    expect(runOnce(s.corsgate, s.req)).toStrictEqual(s.expect.corsgate);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('cors (peer, same job): %s', (_name, s) => {
    expect(runOnce(s.cors, s.req)).toStrictEqual(s.expect.cors);
  });
});
