import { describe, expect, it } from 'vitest';
import { policySource } from '../../src/adapters/_shared.js';
import { CorsConfigError, createPolicy } from '../../src/index.js';
import { APP, CONFIG } from './_helpers.js';

function codes(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CorsConfigError);
    return (err as CorsConfigError).issues.map((i) => i.code);
  }
  throw new Error('expected a CorsConfigError');
}

describe('adapter options', () => {
  it('compiles a configuration object once', () => {
    const source = policySource(CONFIG);
    expect(source.current()).toBe(source.current());
    expect(source.current().evaluate({ method: 'GET', origin: APP }).headers).toEqual({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Credentials': 'true',
    });
  });

  it('uses a compiled policy as given', () => {
    const policy = createPolicy(CONFIG);
    expect(policySource({ policy }).current()).toBe(policy);
  });

  it('refuses configuration fields next to a compiled policy', () => {
    expect(codes(() => policySource({ policy: createPolicy(CONFIG), origins: [APP] } as never))).toEqual([
      'CG_CONFIG_UNKNOWN_FIELD',
    ]);
  });

  it('refuses a policy that is not a compiled Policy', () => {
    expect(codes(() => policySource({ policy: { evaluate: () => ({}) } } as never))).toEqual([
      'CG_CONFIG_TYPE',
    ]);
  });

  it('refuses a blockDisallowedUnsafeRequests that is not a boolean, and keeps it out of the policy', () => {
    expect(codes(() => policySource({ ...CONFIG, blockDisallowedUnsafeRequests: 'yes' } as never))).toEqual([
      'CG_CONFIG_TYPE',
    ]);
    expect(policySource({ ...CONFIG, blockDisallowedUnsafeRequests: true }).block).toBe(true);
    expect(policySource(CONFIG).block).toBe(false);
  });

  it('reports every configuration error at once', () => {
    expect(
      codes(() => policySource({ origins: ['https://a.example/x', 'null'], methods: ['CONNECT'] })),
    ).toEqual(['CG_ORIGIN_HAS_PATH', 'CG_ORIGIN_NULL', 'CG_METHOD_FORBIDDEN']);
  });
});
