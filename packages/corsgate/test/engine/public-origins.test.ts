import { describe, expect, it } from 'vitest';
import {
  type CorsConfig,
  CorsConfigError,
  createPolicy,
  createPolicyAsync,
  type Decision,
  formatIssue,
  type RequestFacts,
  validateConfig,
} from '../../src/index.js';

// `publicOrigins`: same-origin from configuration, never from Host (docs/middleware.md
// "Same-origin requests"; §3.1 of docs/rules.md for the form of an origin).

const PUBLIC = 'https://app.example.com';
const PARTNER = 'https://partner.example';
const CONFIG: CorsConfig = {
  origins: [PARTNER],
  credentials: true,
  publicOrigins: [PUBLIC, 'http://127.0.0.1:8080', 'http://[::1]:3000'],
};

const SAME_ORIGIN: Decision = {
  kind: 'same-origin',
  allowed: true,
  status: undefined,
  headers: {},
  vary: ['Origin'],
  reason: 'same-origin',
};
const refused = (origin: string): Decision => ({
  kind: 'actual',
  allowed: false,
  status: undefined,
  headers: {},
  vary: ['Origin'],
  reason: 'origin-not-allowed',
  detail: origin,
});

const rows: [string, RequestFacts, Decision][] = [
  [
    'a public origin is same-origin whatever Host says',
    { method: 'POST', origin: PUBLIC, host: 'internal:8080', scheme: 'http' },
    SAME_ORIGIN,
  ],
  [
    'a public origin is same-origin without Host or Sec-Fetch-Site',
    { method: 'POST', origin: PUBLIC },
    SAME_ORIGIN,
  ],
  [
    'an origin equal to scheme://Host but not listed is cross-origin (the DNS-rebinding shape)',
    { method: 'POST', origin: 'http://evil.example:8080', host: 'evil.example:8080', scheme: 'http' },
    refused('http://evil.example:8080'),
  ],
  [
    'Sec-Fetch-Site: same-origin about another host is cross-origin (a rebinding browser sends it)',
    {
      method: 'POST',
      origin: 'http://evil.example:8080',
      host: 'evil.example:8080',
      scheme: 'http',
      secFetchSite: 'same-origin',
    },
    refused('http://evil.example:8080'),
  ],
  [
    'Sec-Fetch-Site: same-origin without Host is cross-origin',
    { method: 'POST', origin: 'https://other.example', secFetchSite: 'same-origin' },
    refused('https://other.example'),
  ],
  [
    'Sec-Fetch-Site: same-origin about a public host is same-origin',
    {
      method: 'POST',
      origin: 'https://app.example.com:8443',
      host: 'app.example.com',
      scheme: 'https',
      secFetchSite: 'same-origin',
    },
    SAME_ORIGIN,
  ],
  [
    'Sec-Fetch-Site: same-origin about a public host written in upper case is same-origin (Host is case-insensitive)',
    {
      method: 'POST',
      origin: 'https://x.example',
      host: 'APP.Example.COM',
      scheme: 'https',
      secFetchSite: 'same-origin',
    },
    SAME_ORIGIN,
  ],
  [
    'Sec-Fetch-Site: same-origin about a public host with its default port written out is same-origin',
    {
      method: 'POST',
      origin: 'https://x.example',
      host: 'app.example.com:443',
      scheme: 'https',
      secFetchSite: 'same-origin',
    },
    SAME_ORIGIN,
  ],
  [
    'Sec-Fetch-Site: same-origin about a public host on another port is cross-origin',
    {
      method: 'POST',
      origin: 'https://x.example',
      host: 'app.example.com:8443',
      scheme: 'https',
      secFetchSite: 'same-origin',
    },
    refused('https://x.example'),
  ],
  [
    'Sec-Fetch-Site: same-origin about a public IPv4 host and port is same-origin',
    {
      method: 'POST',
      origin: 'http://x.example',
      host: '127.0.0.1:8080',
      scheme: 'http',
      secFetchSite: 'same-origin',
    },
    SAME_ORIGIN,
  ],
  [
    'Sec-Fetch-Site: same-origin about a public IPv6 host and port is same-origin',
    {
      method: 'POST',
      origin: 'http://x.example',
      host: '[::1]:3000',
      scheme: 'http',
      secFetchSite: 'same-origin',
    },
    SAME_ORIGIN,
  ],
  [
    'the public origin with the default port written out is malformed, as every Origin in that form (§3.1)',
    { method: 'POST', origin: 'https://app.example.com:443', host: 'app.example.com', scheme: 'https' },
    { ...refused('https://app.example.com:443'), reason: 'origin-malformed' },
  ],
  [
    'the public origin in another scheme is cross-origin',
    { method: 'POST', origin: 'http://app.example.com', host: 'app.example.com', scheme: 'http' },
    refused('http://app.example.com'),
  ],
  [
    'an allowed origin is still allowed by the list',
    { method: 'POST', origin: PARTNER, host: 'app.example.com', scheme: 'https' },
    {
      kind: 'actual',
      allowed: true,
      status: undefined,
      headers: { 'Access-Control-Allow-Origin': PARTNER, 'Access-Control-Allow-Credentials': 'true' },
      vary: ['Origin'],
      reason: 'origin-allowed',
    },
  ],
  [
    'a preflight from a public origin is same-origin (browsers send none, so nothing is answered)',
    {
      method: 'OPTIONS',
      origin: PUBLIC,
      accessControlRequestMethod: 'PUT',
      host: 'app.example.com',
      scheme: 'https',
    },
    SAME_ORIGIN,
  ],
];

describe('publicOrigins: who is same-origin', () => {
  const policy = createPolicy(CONFIG);
  it.each(rows)('%s', (_description, request, expected) => {
    expect(policy.evaluate(request)).toStrictEqual(expected);
  });

  it('with an empty list, an origin equal to scheme://Host is cross-origin and nothing is same-origin', () => {
    const closed = createPolicy({ origins: [PARTNER], publicOrigins: [] });
    expect(
      closed.evaluate({
        method: 'POST',
        origin: 'https://app.example.com',
        host: 'app.example.com',
        scheme: 'https',
        secFetchSite: 'same-origin',
      }),
    ).toStrictEqual(refused('https://app.example.com'));
  });

  it('without the option, Host still decides: the rebinding shape is same-origin (the default, unchanged)', () => {
    const hostBased = createPolicy({ origins: [PARTNER], credentials: true });
    expect(
      hostBased.evaluate({
        method: 'POST',
        origin: 'http://evil.example:8080',
        host: 'evil.example:8080',
        scheme: 'http',
      }),
    ).toStrictEqual(SAME_ORIGIN);
    expect(
      hostBased.evaluate({ method: 'POST', origin: 'https://x.example', secFetchSite: 'same-origin' }),
    ).toStrictEqual(SAME_ORIGIN);
  });

  it('under * without credentials a public origin gets ACAO * like every origin (R24)', () => {
    const any = createPolicy({ origins: ['*'], publicOrigins: [PUBLIC] });
    expect(any.evaluate({ method: 'GET', origin: PUBLIC }).headers).toEqual({
      'Access-Control-Allow-Origin': '*',
    });
  });
});

describe('publicOrigins: the configuration', () => {
  it('reports the normalised list in config(), which compiles to the same policy', () => {
    const policy = createPolicy({ ...CONFIG, publicOrigins: [PUBLIC, PUBLIC] });
    expect(policy.config().publicOrigins).toEqual([PUBLIC]);
    const again = createPolicy(policy.config());
    expect(again.config()).toEqual(policy.config());
    expect(again.evaluate({ method: 'POST', origin: PUBLIC })).toStrictEqual(SAME_ORIGIN);
    // A copy: changing it does not change the policy.
    policy.config().publicOrigins!.push('https://evil.example');
    expect(policy.config().publicOrigins).toEqual([PUBLIC]);
  });

  it('leaves publicOrigins out of config() when it is not set', () => {
    expect('publicOrigins' in createPolicy({ origins: [PARTNER] }).config()).toBe(false);
    expect(createPolicy({ publicOrigins: [] }).config().publicOrigins).toEqual([]);
  });

  it('compiles the same in slices (createPolicyAsync)', async () => {
    const policy = await createPolicyAsync(CONFIG);
    expect(policy.config().publicOrigins).toEqual(CONFIG.publicOrigins);
    expect(
      policy.evaluate({ method: 'POST', origin: 'http://evil.example', host: 'evil.example', scheme: 'http' })
        .reason,
    ).toBe('origin-not-allowed');
  });

  const bad: [string, unknown, string | undefined][] = [
    ['a trailing slash', 'https://app.example.com/', 'did you mean https://app.example.com?'],
    ['a path', 'https://app.example.com/app', 'did you mean https://app.example.com?'],
    ['upper case', 'https://App.Example.com', 'did you mean https://app.example.com?'],
    ['the default port', 'https://app.example.com:443', 'did you mean https://app.example.com?'],
    ['no scheme', 'app.example.com', 'did you mean https://app.example.com?'],
    ['a wildcard', 'https://*.example.com', undefined],
    ['any port', 'http://localhost:*', undefined],
    ['*', '*', undefined],
    ['null', 'null', undefined],
    ['a scheme other than http(s)', 'chrome-extension://abcdef', undefined],
    ['an empty string', '', undefined],
  ];
  it.each(bad)(
    'refuses %s with CG_PUBLIC_ORIGIN_INVALID and a suggestion where one exists',
    (_what, entry, suggestion) => {
      const issues = validateConfig({ publicOrigins: [PUBLIC, entry] });
      expect(issues.map((i) => [i.code, i.severity, i.path])).toEqual([
        ['CG_PUBLIC_ORIGIN_INVALID', 'error', ['publicOrigins', 1]],
      ]);
      expect(issues[0]!.suggestion).toBe(suggestion);
      expect(issues[0]!.reason).toMatch(/^corsgate: /);
      expect(() => createPolicy({ publicOrigins: [entry as string] })).toThrow(CorsConfigError);
    },
  );

  it('prints a refused entry in the one problem format', () => {
    const [found] = validateConfig({ publicOrigins: ['https://app.example.com/'] });
    expect(formatIssue(found!)).toMatch(
      /^publicOrigins\[0\]: error CG_PUBLIC_ORIGIN_INVALID .*\(did you mean https:\/\/app\.example\.com\?\)$/,
    );
  });

  it('refuses a publicOrigins that is not an array of strings with CG_CONFIG_TYPE', () => {
    expect(validateConfig({ publicOrigins: PUBLIC }).map((i) => [i.code, i.path])).toEqual([
      ['CG_CONFIG_TYPE', ['publicOrigins']],
    ]);
    expect(validateConfig({ publicOrigins: [PUBLIC, 42] }).map((i) => [i.code, i.path])).toEqual([
      ['CG_CONFIG_TYPE', ['publicOrigins', 1]],
    ]);
  });
});
