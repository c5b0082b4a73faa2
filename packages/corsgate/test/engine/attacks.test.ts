import { describe, expect, it } from 'vitest';
import { type CorsConfig, CorsConfigError, createPolicy } from '../../src/index.js';

// docs/rules.md §6: misconfiguration attack classes a strict engine must make impossible.
// Victim: https://example.com, credentialed.

interface Attack {
  description: string;
  config: CorsConfig;
  origin: string;
}

const VICTIM: CorsConfig = {
  origins: ['https://example.com', 'https://*.example.com', 'https://api.example.com'],
  credentials: true,
  methods: ['PUT'],
  requestHeaders: ['x-a'],
};
const GHSA: CorsConfig = {
  origins: ['https://foo.com', 'https://bar.com'],
  credentials: true,
  methods: ['PUT'],
};

const attacks: Attack[] = [
  { description: '§6 reflection: an unlisted origin', config: VICTIM, origin: 'https://evil.com' },
  { description: '§6 suffix without a label boundary', config: VICTIM, origin: 'https://evilexample.com' },
  {
    description: '§6 suffix without a label boundary, under the wildcard',
    config: VICTIM,
    origin: 'https://a.evilexample.com',
  },
  { description: '§6 prefix match', config: VICTIM, origin: 'https://example.com.evil.net' },
  { description: '§6 prefix match with a port', config: VICTIM, origin: 'https://example.com:443.evil.net' },
  { description: '§6 substring match', config: VICTIM, origin: 'https://myexample.com.attacker.io' },
  { description: '§6 unescaped dot in a pattern', config: VICTIM, origin: 'https://apixexample.com' },
  { description: '§6 glob without a dot', config: VICTIM, origin: 'https://evil-example.com' },
  { description: '§6 scheme downgrade', config: VICTIM, origin: 'http://example.com' },
  { description: '§6 scheme downgrade under the wildcard', config: VICTIM, origin: 'http://a.example.com' },
  { description: '§6 another scheme', config: VICTIM, origin: 'wss://example.com' },
  { description: '§6 port ignored', config: VICTIM, origin: 'https://example.com:8443' },
  { description: '§6 port ignored under the wildcard', config: VICTIM, origin: 'https://a.example.com:8443' },
  { description: '§6 trusted null', config: VICTIM, origin: 'null' },
  {
    description: '§6 public suffix with credentials: a sibling on the same suffix',
    config: { origins: ['https://victim.github.io'], credentials: true, methods: ['PUT'] },
    origin: 'https://attacker.github.io',
  },
  {
    description: '§6 parser differential: "_" after the host',
    config: VICTIM,
    origin: 'https://example.com_.evil.net',
  },
  {
    description: '§6 parser differential: a backslash',
    config: VICTIM,
    origin: 'https://example.com\\.evil.net',
  },
  {
    description: '§6 parser differential: a percent-encoded dot',
    config: VICTIM,
    origin: 'https://example.com%2e.evil.net',
  },
  { description: '§6 parser differential: userinfo', config: VICTIM, origin: 'https://example.com@evil.net' },
  {
    description: '§6 parser differential: a fragment',
    config: VICTIM,
    origin: 'https://evil.net#.example.com',
  },
  { description: '§6 parser differential: a query', config: VICTIM, origin: 'https://evil.net?.example.com' },
  { description: '§6 parser differential: a trailing dot', config: VICTIM, origin: 'https://example.com.' },
  { description: '§6 parser differential: a tab', config: VICTIM, origin: 'https://example.com\t' },
  { description: '§6 parser differential: a leading space', config: VICTIM, origin: ' https://example.com' },
  {
    description: '§6 parser differential: NUL',
    config: VICTIM,
    origin: 'https://example.com\u0000.evil.net',
  },
  {
    description: '§6 parser differential: a Unicode lookalike dot',
    config: VICTIM,
    origin: 'https://example\u3002com',
  },
  { description: '§6 parser differential: upper case', config: VICTIM, origin: 'https://EXAMPLE.com' },
  {
    description: '§6 parser differential: two origins folded',
    config: VICTIM,
    origin: 'https://evil.com https://example.com',
  },
  {
    description: 'GHSA-vhxv-fg4m-p2w8: barfoo.com against foo.com, bar.com',
    config: GHSA,
    origin: 'https://barfoo.com',
  },
  {
    description: 'GHSA-vhxv-fg4m-p2w8: foobar.com against foo.com, bar.com',
    config: GHSA,
    origin: 'https://foobar.com',
  },
  {
    description: 'GHSA-vhxv-fg4m-p2w8: foo.combar.com against foo.com, bar.com',
    config: GHSA,
    origin: 'https://foo.combar.com',
  },
  {
    description: 'GHSA-vhxv-fg4m-p2w8: a.foo.com against exact foo.com',
    config: GHSA,
    origin: 'https://a.foo.com',
  },
];

describe('§6 attack classes: denied as actual requests and as preflights', () => {
  it.each(attacks.map((a) => [a.description, a] as const))('denies %s', (_d, attack) => {
    const policy = createPolicy(attack.config);
    const actual = policy.evaluate({ method: 'GET', origin: attack.origin });
    expect(actual.allowed).toBe(false);
    expect(actual.headers).toStrictEqual({});
    expect(actual.vary).toStrictEqual(['Origin']);
    const pre = policy.evaluate({
      method: 'OPTIONS',
      origin: attack.origin,
      accessControlRequestMethod: 'PUT',
    });
    expect(pre).toMatchObject({ kind: 'preflight', allowed: false, status: 403, headers: {} });
  });

  it('allows the legitimate origins of the same configurations (the rows above are not vacuous)', () => {
    const victim = createPolicy(VICTIM);
    for (const origin of ['https://example.com', 'https://a.example.com', 'https://api.example.com']) {
      expect(victim.evaluate({ method: 'GET', origin }).headers['Access-Control-Allow-Origin']).toBe(origin);
    }
    const ghsa = createPolicy(GHSA);
    for (const origin of ['https://foo.com', 'https://bar.com']) {
      expect(ghsa.evaluate({ method: 'GET', origin }).allowed).toBe(true);
    }
  });
});

describe('§6 attack classes refused at configuration time', () => {
  it.each([
    [
      '§6 * turned into reflection when credentialed',
      { origins: ['*'], credentials: true },
      'CG_ORIGIN_ANY_WITH_CREDENTIALS',
    ],
    ['§6 trusted null', { origins: ['null'], credentials: true }, 'CG_ORIGIN_NULL'],
    ['§6 glob without a dot', { origins: ['https://*example.com'] }, 'CG_ORIGIN_UNSUPPORTED_PATTERN'],
    [
      '§6 regular expression with an unescaped dot',
      { origins: ['https://api.example.com$'] },
      'CG_ORIGIN_UNSUPPORTED_PATTERN',
    ],
    [
      '§6 http trusted with credentials',
      { origins: ['http://example.com'], credentials: true },
      'CG_ORIGIN_INSECURE_WITH_CREDENTIALS',
    ],
    [
      '§6 wildcard over a public suffix',
      { origins: ['https://*.github.io'], credentials: true },
      'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD',
    ],
    [
      '§6 wildcard over a multi-label public suffix',
      { origins: ['https://*.co.uk'], credentials: true },
      'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD',
    ],
  ] as const)('refuses %s', (_d, config, code) => {
    let thrown: unknown;
    try {
      createPolicy(config);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CorsConfigError);
    expect((thrown as CorsConfigError).errors.map((i) => i.code)).toEqual([code]);
  });
});
