import { describe, expect, it } from 'vitest';
import { CorsConfigError, createPolicy, parseSerializedOrigin } from '../../src/index.js';

// Inputs found by the property tests; each row states what the WHATWG URL parser does with it.
describe('parseSerializedOrigin regressions found by fast-check', () => {
  it.each([
    ['http://0x_:1', 'a last label "0x_" is not a number, so the host is a domain (URL "ends in a number")'],
    ['http://a.0x_', 'the same, after another label'],
  ])('accepts %s as the URL parser does: %s', (origin) => {
    expect(new URL(origin).origin).toBe(origin);
    expect(parseSerializedOrigin(origin)).not.toBeNull();
  });

  it.each([
    [
      'http://0x7f.0.0.1',
      'the URL parser reads it as IPv4 and writes it 127.0.0.1, so it is not a serialized origin',
    ],
    ['http://a.0x1f', 'a last label "0x1f" is a number, so the whole host is parsed as IPv4 and fails'],
  ])('refuses %s: %s', (origin) => {
    expect(parseSerializedOrigin(origin)).toBeNull();
  });
});

describe('allowlist entries with a query are a path error with a suggestion (docs/allowlist.md)', () => {
  it.each([['https://a.example.com?q=1'], ['https://a.example.com/?q=1']])(
    'reports %s as CG_ORIGIN_HAS_PATH suggesting the origin',
    (entry) => {
      let error: unknown;
      try {
        createPolicy({ origins: [entry] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorsConfigError);
      expect((error as CorsConfigError).issues).toMatchObject([
        {
          code: 'CG_ORIGIN_HAS_PATH',
          path: ['origins', 0],
          suggestion: 'did you mean https://a.example.com?',
        },
      ]);
    },
  );

  it('still refuses a regular expression as an unsupported pattern', () => {
    expect(() => createPolicy({ origins: ['^https://(a|b)\\.example\\.com$'] })).toThrow(
      /CG_ORIGIN_UNSUPPORTED_PATTERN/,
    );
  });
});
