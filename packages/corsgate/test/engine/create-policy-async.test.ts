import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConfigIssue,
  type CorsConfig,
  CorsConfigError,
  createPolicy,
  createPolicyAsync,
  type Policy,
} from '../../src/index.js';

const origins = (n: number, tag = 'a') =>
  Array.from({ length: n }, (_, i) => `https://${tag}${i}.tenant${i % 100}.example.com`);

async function outcome(run: () => Policy | Promise<Policy>): Promise<Policy | readonly ConfigIssue[]> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CorsConfigError) return error.issues;
    throw error;
  }
}

describe('createPolicyAsync', () => {
  it('compiles random configurations to the same warnings, errors and decisions as createPolicy', async () => {
    const entry = fc.constantFrom(
      'https://app.example.com',
      'https://APP.example.com',
      'http://app.example.com',
      'https://app.example.com:443',
      'https://*.example.com',
      'https://*.com',
      'http://localhost:*',
      'https://a.example.com/path',
      '*',
      'null',
      'https://[::1]:8443',
      'bogus',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        async (list, credentials, privateNetwork) => {
          const config: CorsConfig = { origins: list, credentials, privateNetwork, methods: ['PUT'] };
          const sync = await outcome(() => createPolicy(config));
          // A budget of 0 yields at every chance: the most slicing the compile can get.
          const sliced = await outcome(() => createPolicyAsync(config, { sliceBudgetMs: 0 }));
          if (Array.isArray(sync)) {
            expect(sliced).toEqual(sync);
            return;
          }
          const a = sync as Policy;
          const b = sliced as Policy;
          expect(b.warnings).toEqual(a.warnings);
          expect(b.config()).toEqual(a.config());
          for (const origin of [
            'https://app.example.com',
            'https://x.example.com',
            'http://localhost:3000',
            'null',
          ]) {
            const facts = { method: 'OPTIONS', origin, accessControlRequestMethod: 'PUT' };
            expect(b.evaluate(facts)).toEqual(a.evaluate(facts));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the event loop a turn while it compiles 20,000 origins, and the result allows them', async () => {
    const list = origins(20_000);
    let timerFired = false;
    const timer = setTimeout(() => {
      timerFired = true;
    }, 0);
    let yields = 0;
    const policy = await createPolicyAsync(
      { origins: list },
      {
        sliceBudgetMs: 0,
        yieldToEventLoop: () => {
          yields++;
          return new Promise((resolve) => setTimeout(resolve, 0));
        },
      },
    );
    clearTimeout(timer);
    // One chance to yield every 1,000 origins: 19 of them for 20,000.
    expect(yields).toBe(19);
    expect(timerFired).toBe(true);
    expect(policy.evaluate({ method: 'GET', origin: 'https://a19999.tenant99.example.com' }).headers).toEqual(
      {
        'Access-Control-Allow-Origin': 'https://a19999.tenant99.example.com',
      },
    );
  });

  it('does not yield while a slice is within its budget', async () => {
    let yields = 0;
    let clock = 0;
    await createPolicyAsync(
      { origins: origins(5_000) },
      {
        sliceBudgetMs: 100,
        now: () => clock,
        yieldToEventLoop: async () => {
          yields++;
        },
      },
    );
    expect(yields).toBe(0);
    // A clock that advances 60 ms per check crosses the 100 ms budget every second check.
    await createPolicyAsync(
      { origins: origins(5_000) },
      {
        sliceBudgetMs: 100,
        now: () => (clock += 60),
        yieldToEventLoop: async () => {
          yields++;
        },
      },
    );
    expect(yields).toBe(2);
  });

  it('compiles the origins as they were when it was called, whatever the caller does to the array meanwhile', async () => {
    const list = origins(3_000);
    const pending = createPolicyAsync({ origins: list }, { sliceBudgetMs: 0 });
    list.length = 0;
    list.push('https://late.example.com');
    const policy = await pending;
    expect(policy.config().origins).toHaveLength(3_000);
    expect(policy.evaluate({ method: 'GET', origin: 'https://late.example.com' }).allowed).toBe(false);
    expect(policy.evaluate({ method: 'GET', origin: 'https://a2999.tenant99.example.com' }).allowed).toBe(
      true,
    );
  });

  it('rejects with every issue, as createPolicy throws, for a large list with errors deep inside', async () => {
    const list = origins(4_000);
    list[3_500] = 'https://b.example.com/api';
    list[3_900] = list[10]!;
    const sync = await outcome(() => createPolicy({ origins: list }));
    await expect(createPolicyAsync({ origins: list }, { sliceBudgetMs: 0 })).rejects.toBeInstanceOf(
      CorsConfigError,
    );
    const sliced = await outcome(() => createPolicyAsync({ origins: list }, { sliceBudgetMs: 0 }));
    expect(sliced).toEqual(sync);
    expect((sliced as ConfigIssue[]).map((i) => [i.code, i.path])).toEqual([
      ['CG_ORIGIN_HAS_PATH', ['origins', 3_500]],
      ['CG_ORIGIN_DUPLICATE', ['origins', 3_900]],
    ]);
  });
});
