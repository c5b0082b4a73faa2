import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSerializedOrigin } from '../../src/engine/origin.js';
import { parseOriginEntry } from '../../src/engine/policy.js';
import {
  type ConfigIssue,
  CorsConfigError,
  createPolicy,
  Policy,
  parseOriginPattern,
  parseSerializedOrigin,
} from '../../src/index.js';

// The compile's fast path: an entry that is already a serialized origin skips parseOriginPattern.
// These properties hold it to the general parser, which is the specification.

const scheme = fc.constantFrom(
  'http',
  'https',
  'ws',
  'file',
  'git+ssh',
  'chrome-extension',
  'a.b-c',
  'HTTPS',
);
const lowerLabel = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
const host = fc.oneof(
  fc.array(lowerLabel, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
  fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }).map((p) => p.join('.')),
  fc.constantFrom(
    '[::1]',
    '[2001:db8::1]',
    '[2001:DB8::1]',
    '[0:0:0:0:0:0:0:1]',
    '0x7f.0.0.1',
    'a.0x',
    'localhost',
    'a..b',
    'A.example',
    'bücher.example',
    '*.example.com',
    'co.uk',
  ),
);
const port = fc.oneof(
  fc.constant(''),
  fc.constantFrom(':0', ':80', ':443', ':08080', ':65535', ':65536', ':*', ':'),
  fc.integer({ min: 1, max: 65535 }).map((p) => `:${p}`),
);
const tail = fc.oneof({ weight: 6, arbitrary: fc.constant('') }, fc.constantFrom('/', '/x', '?q', '#f', ' '));
const entry = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(scheme, host, port, tail).map(([s, h, p, t]) => `${s}://${h}${p}${t}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'null', 'NULL', 'app.example.com', 'https://a@b.com') },
);

/** Every issue but the value as written and the code that only the slow variant has. */
const comparable = (issues: readonly ConfigIssue[]) =>
  issues
    .filter((i) => i.code !== 'CG_ORIGIN_TRAILING_SLASH')
    .map(({ code, severity, path, reason, suggestion }) => ({ code, severity, path, reason, suggestion }));

function compileOrIssues(origins: string[], credentials: boolean): Policy | readonly ConfigIssue[] {
  try {
    return createPolicy({ origins, credentials });
  } catch (error) {
    if (error instanceof CorsConfigError) return error.issues;
    throw error;
  }
}

describe('the fast path for exact origins', () => {
  it('parses every entry exactly as the general parser does, result for result', () => {
    let fast = 0;
    fc.assert(
      fc.property(entry, (text) => {
        if (parseSerializedOrigin(text) !== null) fast++;
        expect(parseOriginEntry(text)).toEqual(parseOriginPattern(text));
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the fast path often, or the property proves nothing about it.
    expect(fast).toBeGreaterThan(400);
  });

  it('isSerializedOrigin, the allocation-free check of the compile, accepts exactly what parseSerializedOrigin accepts', () => {
    fc.assert(
      fc.property(entry, (text) => {
        expect(isSerializedOrigin(text)).toBe(parseSerializedOrigin(text) !== null);
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves file: and a scheme with "+" to the general parser, which refuses them', () => {
    for (const text of ['file://host', 'git+ssh://host']) {
      expect(parseSerializedOrigin(text)).not.toBeNull();
      expect(parseOriginEntry(text)).toEqual(parseOriginPattern(text));
      expect(parseOriginEntry(text).ok).toBe(false);
    }
  });

  it('compiles a random list to the same issues and decisions whether its exact origins take the fast or the slow path', () => {
    // Always a serialized origin (non-default ports only), so the plain list is all fast path.
    const exactOrigin = fc
      .tuple(
        fc.constantFrom('http', 'https'),
        fc.oneof(
          fc.array(fc.constantFrom('a', 'b', 'app', 'localhost', 'example', 'com'), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.constant(['127', '0', '0', '1']),
        ),
        fc.constantFrom('', ':8080', ':3000'),
      )
      .map(([s, labels, p]) => `${s}://${labels.join('.')}${p}`);
    const pattern = fc.constantFrom(
      'https://*.example.com',
      'http://localhost:*',
      'https://*.com',
      '*',
      'https://a.example.com:*',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 8, arbitrary: exactOrigin }, { weight: 1, arbitrary: pattern }), {
          maxLength: 30,
        }),
        fc.boolean(),
        fc.array(exactOrigin, { maxLength: 10 }),
        (list, credentials, probes) => {
          // A lone trailing "/" sends every exact origin down the general parser (then normalised).
          const slowList = list.map((e) => (e.includes('*') ? e : `${e}/`));
          const fastResult = compileOrIssues(list, credentials);
          const slowResult = compileOrIssues(slowList, credentials);
          if (!(fastResult instanceof Policy)) {
            expect(slowResult).not.toBeInstanceOf(Policy);
            expect(comparable(fastResult)).toEqual(comparable(slowResult as readonly ConfigIssue[]));
            return;
          }
          expect(slowResult).toBeInstanceOf(Policy);
          const fastPolicy = fastResult;
          const slowPolicy = slowResult as Policy;
          expect(comparable(fastPolicy.warnings)).toEqual(comparable(slowPolicy.warnings));
          expect(fastPolicy.config()).toEqual(slowPolicy.config());
          for (const origin of [...list, ...probes, 'https://x.a.example.com', 'null']) {
            for (const method of ['GET', 'OPTIONS']) {
              const facts = { method, origin, accessControlRequestMethod: 'GET' };
              expect(fastPolicy.evaluate(facts)).toEqual(slowPolicy.evaluate(facts));
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
