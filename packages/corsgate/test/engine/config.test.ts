import { describe, expect, it } from 'vitest';
import {
  type ConfigIssue,
  CorsConfigError,
  createPolicy,
  formatIssue,
  ISSUE_CODES,
  type IssueCode,
  validateConfig,
} from '../../src/index.js';

interface Row {
  description: string;
  config: unknown;
  /** Every issue expected, in order: code and path. */
  issues: { code: IssueCode; path: (string | number)[]; suggestion?: string }[];
}

const rows: Row[] = [
  // Shape
  {
    description: 'a configuration that is not an object',
    config: ['https://a.example'],
    issues: [{ code: 'CG_CONFIG_TYPE', path: [] }],
  },
  {
    description: 'a boolean field given as a string',
    config: { credentials: 'yes' },
    issues: [{ code: 'CG_CONFIG_TYPE', path: ['credentials'] }],
  },
  {
    description: 'a list field given as a string',
    config: { origins: 'https://a.example' },
    issues: [{ code: 'CG_CONFIG_TYPE', path: ['origins'] }],
  },
  {
    description: 'a list entry that is not a string',
    config: { methods: ['PUT', 7] },
    issues: [{ code: 'CG_CONFIG_TYPE', path: ['methods', 1] }],
  },
  {
    description: 'a misspelt field',
    config: { origin: ['https://a.example'] },
    issues: [{ code: 'CG_CONFIG_UNKNOWN_FIELD', path: ['origin'] }],
  },

  // Origin syntax (§3.1)
  {
    description: 'an empty origin',
    config: { origins: [''] },
    issues: [{ code: 'CG_ORIGIN_EMPTY', path: ['origins', 0] }],
  },
  {
    description: 'an origin longer than MAX_ENTRY_LENGTH',
    config: { origins: [`https://${'a'.repeat(2100)}.example`] },
    issues: [{ code: 'CG_ORIGIN_TOO_LONG', path: ['origins', 0] }],
  },
  {
    description: 'a host without a scheme, with a suggestion',
    config: { origins: ['app.example.com'] },
    issues: [
      {
        code: 'CG_ORIGIN_MISSING_SCHEME',
        path: ['origins', 0],
        suggestion: 'did you mean https://app.example.com?',
      },
    ],
  },
  {
    description: 'a loopback host without a scheme is suggested with http',
    config: { origins: ['localhost:3000'] },
    issues: [
      {
        code: 'CG_ORIGIN_MISSING_SCHEME',
        path: ['origins', 0],
        suggestion: 'did you mean http://localhost:3000?',
      },
    ],
  },
  {
    description: 'a scheme without "://"',
    config: { origins: ['https:app.example.com'] },
    issues: [{ code: 'CG_ORIGIN_MISSING_SCHEME', path: ['origins', 0] }],
  },
  {
    description: 'a scheme starting with a digit',
    config: { origins: ['1https://a.example'] },
    issues: [{ code: 'CG_ORIGIN_INVALID_SCHEME', path: ['origins', 0] }],
  },
  {
    description: 'a file: origin (§1.8: sent as null)',
    config: { origins: ['file:///home/me'] },
    issues: [{ code: 'CG_ORIGIN_FILE_SCHEME', path: ['origins', 0] }],
  },
  {
    description: 'userinfo',
    config: { origins: ['https://me:pw@a.example'] },
    issues: [
      { code: 'CG_ORIGIN_HAS_USERINFO', path: ['origins', 0], suggestion: 'did you mean https://a.example?' },
    ],
  },
  {
    description: 'a path',
    config: { origins: ['https://a.example/app'] },
    issues: [
      { code: 'CG_ORIGIN_HAS_PATH', path: ['origins', 0], suggestion: 'did you mean https://a.example?' },
    ],
  },
  {
    description: 'an empty label',
    config: { origins: ['https://a..example'] },
    issues: [{ code: 'CG_ORIGIN_INVALID_HOST', path: ['origins', 0] }],
  },
  {
    description: 'a non-canonical IPv4, with the canonical form suggested',
    config: { origins: ['http://127.1:8080'] },
    issues: [
      { code: 'CG_ORIGIN_INVALID_HOST', path: ['origins', 0], suggestion: 'did you mean http://127.0.0.1?' },
    ],
  },
  {
    description: 'a non-canonical IPv6',
    config: { origins: ['https://[0:0:0:0:0:0:0:1]'] },
    issues: [{ code: 'CG_ORIGIN_INVALID_HOST', path: ['origins', 0] }],
  },
  {
    description: 'a port above 65535',
    config: { origins: ['https://a.example:99999'] },
    issues: [{ code: 'CG_ORIGIN_INVALID_PORT', path: ['origins', 0] }],
  },
  {
    description: 'a port with a leading zero',
    config: { origins: ['https://a.example:0844'] },
    issues: [{ code: 'CG_ORIGIN_INVALID_PORT', path: ['origins', 0], suggestion: 'did you mean :844?' }],
  },
  {
    description: '§6 glob without a dot',
    config: { origins: ['https://*example.com'] },
    issues: [{ code: 'CG_ORIGIN_UNSUPPORTED_PATTERN', path: ['origins', 0] }],
  },
  {
    description: '§6 a regular expression',
    config: { origins: ['^https://.*\\.example\\.com$'] },
    issues: [{ code: 'CG_ORIGIN_UNSUPPORTED_PATTERN', path: ['origins', 0] }],
  },
  {
    description: 'a wildcard in the middle of a host',
    config: { origins: ['https://a.*.example.com'] },
    issues: [{ code: 'CG_ORIGIN_UNSUPPORTED_PATTERN', path: ['origins', 0] }],
  },
  {
    description: 'a wildcard over an IP address',
    config: { origins: ['https://*.[::1]'] },
    issues: [{ code: 'CG_ORIGIN_UNSUPPORTED_PATTERN', path: ['origins', 0] }],
  },

  // Origin security refusals (§6)
  {
    description: 'R18: * with credentials',
    config: { origins: ['*'], credentials: true },
    issues: [{ code: 'CG_ORIGIN_ANY_WITH_CREDENTIALS', path: ['origins', 0] }],
  },
  {
    description: '§1.8: null without the dangerous opt-in',
    config: { origins: ['null'] },
    issues: [{ code: 'CG_ORIGIN_NULL', path: ['origins', 0] }],
  },
  {
    description: '§6 scheme: a non-loopback http origin with credentials',
    config: { origins: ['http://app.example.com'], credentials: true },
    issues: [
      {
        code: 'CG_ORIGIN_INSECURE_WITH_CREDENTIALS',
        path: ['origins', 0],
        suggestion: 'did you mean https://app.example.com?',
      },
    ],
  },
  {
    description: '§6 public suffix: *.github.io with credentials',
    config: { origins: ['https://*.github.io'], credentials: true },
    issues: [{ code: 'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD', path: ['origins', 0] }],
  },
  {
    description: '§6 public suffix: a wildcard over a single label with credentials',
    config: { origins: ['https://*.com'], credentials: true },
    issues: [{ code: 'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD', path: ['origins', 0] }],
  },
  {
    description: '§2: privateNetwork together with *',
    config: { origins: ['*'], privateNetwork: true },
    issues: [{ code: 'CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN', path: ['privateNetwork'] }],
  },

  // Origin warnings
  {
    description: 'upper case is lower-cased with a warning',
    config: { origins: ['https://App.Example.com'] },
    issues: [
      { code: 'CG_ORIGIN_UPPER_CASE', path: ['origins', 0], suggestion: 'write https://app.example.com' },
    ],
  },
  {
    description: 'a lone trailing slash is removed with a warning',
    config: { origins: ['https://a.example/'] },
    issues: [
      { code: 'CG_ORIGIN_TRAILING_SLASH', path: ['origins', 0], suggestion: 'write https://a.example' },
    ],
  },
  {
    description: 'the default port is removed with a warning',
    config: { origins: ['https://a.example:443'] },
    issues: [{ code: 'CG_ORIGIN_DEFAULT_PORT', path: ['origins', 0], suggestion: 'write https://a.example' }],
  },
  {
    description: 'a Unicode host is stored as punycode with a warning',
    config: { origins: ['https://bücher.example'] },
    issues: [
      {
        code: 'CG_ORIGIN_UNICODE_HOST',
        path: ['origins', 0],
        suggestion: 'write https://xn--bcher-kva.example',
      },
    ],
  },
  {
    description: 'a public-suffix wildcard without credentials is a warning',
    config: { origins: ['https://*.github.io'] },
    issues: [{ code: 'CG_ORIGIN_BROAD_WILDCARD', path: ['origins', 0] }],
  },
  {
    description: 'the same origin twice (after normalisation)',
    config: { origins: ['https://a.example', 'https://A.example'] },
    issues: [
      { code: 'CG_ORIGIN_UPPER_CASE', path: ['origins', 1], suggestion: 'write https://a.example' },
      { code: 'CG_ORIGIN_DUPLICATE', path: ['origins', 1] },
    ],
  },
  {
    description: 'an exact origin under a wildcard',
    config: { origins: ['https://*.example.com', 'https://a.example.com'] },
    issues: [{ code: 'CG_ORIGIN_REDUNDANT', path: ['origins', 1] }],
  },

  // Methods (R6, R7)
  {
    description: 'a method that is not a token',
    config: { methods: ['PUT,DELETE'] },
    issues: [{ code: 'CG_METHOD_INVALID', path: ['methods', 0] }],
  },
  {
    description: 'R6: a forbidden method in any case',
    config: { methods: ['connect'] },
    issues: [{ code: 'CG_METHOD_FORBIDDEN', path: ['methods', 0] }],
  },
  {
    description: 'R7: a method browsers upper-case is upper-cased',
    config: { methods: ['delete'] },
    issues: [{ code: 'CG_METHOD_NORMALISED', path: ['methods', 0], suggestion: 'write DELETE' }],
  },
  {
    description: 'R7: a lower-case method browsers keep as written',
    config: { methods: ['patch'] },
    issues: [{ code: 'CG_METHOD_NOT_UPPER_CASE', path: ['methods', 0], suggestion: 'did you mean PATCH?' }],
  },
  {
    description: 'R16: a safelisted method',
    config: { methods: ['GET'] },
    issues: [{ code: 'CG_METHOD_SAFELISTED', path: ['methods', 0] }],
  },
  {
    description: 'the same method twice, after normalisation',
    config: { methods: ['PUT', 'put'] },
    issues: [
      { code: 'CG_METHOD_NORMALISED', path: ['methods', 1], suggestion: 'write PUT' },
      { code: 'CG_METHOD_DUPLICATE', path: ['methods', 1] },
    ],
  },

  // Request headers (R6, R17)
  {
    description: 'a request header with a space',
    config: { requestHeaders: ['x a'] },
    issues: [{ code: 'CG_REQUEST_HEADER_INVALID', path: ['requestHeaders', 0] }],
  },
  {
    description: 'R6: forbidden request headers, by name and by prefix',
    config: { requestHeaders: ['Cookie', 'Sec-Fetch-Mode', 'Proxy-Authorization'] },
    issues: [
      { code: 'CG_REQUEST_HEADER_FORBIDDEN', path: ['requestHeaders', 0] },
      { code: 'CG_REQUEST_HEADER_FORBIDDEN', path: ['requestHeaders', 1] },
      { code: 'CG_REQUEST_HEADER_FORBIDDEN', path: ['requestHeaders', 2] },
    ],
  },
  {
    description: 'R6: a CORS response header as a request header',
    config: { requestHeaders: ['Access-Control-Allow-Origin'] },
    issues: [{ code: 'CG_REQUEST_HEADER_CORS_OWNED', path: ['requestHeaders', 0] }],
  },
  {
    description: 'the same request header twice, in another case',
    config: { requestHeaders: ['x-a', 'X-A'] },
    issues: [{ code: 'CG_REQUEST_HEADER_DUPLICATE', path: ['requestHeaders', 1] }],
  },

  // Exposed headers (R22, R23)
  {
    description: 'an exposed header with a space',
    config: { exposeHeaders: ['x a'] },
    issues: [{ code: 'CG_EXPOSE_HEADER_INVALID', path: ['exposeHeaders', 0] }],
  },
  {
    description: 'R23: Set-Cookie and a request-only header as exposed headers',
    config: { exposeHeaders: ['Set-Cookie', 'Origin'] },
    issues: [
      { code: 'CG_EXPOSE_HEADER_FORBIDDEN', path: ['exposeHeaders', 0] },
      { code: 'CG_EXPOSE_HEADER_FORBIDDEN', path: ['exposeHeaders', 1] },
    ],
  },
  {
    description: 'R22: * as an exposed header with credentials',
    config: { exposeHeaders: ['*'], credentials: true },
    issues: [{ code: 'CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS', path: ['exposeHeaders', 0] }],
  },
  {
    description: 'R23: a safelisted response header',
    config: { exposeHeaders: ['Content-Type'] },
    issues: [{ code: 'CG_EXPOSE_HEADER_SAFELISTED', path: ['exposeHeaders', 0] }],
  },
  {
    description: 'the same exposed header twice',
    config: { exposeHeaders: ['X-Total', 'x-total'] },
    issues: [{ code: 'CG_EXPOSE_HEADER_DUPLICATE', path: ['exposeHeaders', 1] }],
  },

  // Numbers (R14, R21)
  {
    description: 'R21: maxAge above 86400, below 0, fractional or a string',
    config: { maxAge: 86_401 },
    issues: [{ code: 'CG_MAX_AGE_RANGE', path: ['maxAge'] }],
  },
  {
    description: 'R21: a negative maxAge',
    config: { maxAge: -1 },
    issues: [{ code: 'CG_MAX_AGE_RANGE', path: ['maxAge'] }],
  },
  {
    description: 'R21: a fractional maxAge',
    config: { maxAge: 1.5 },
    issues: [{ code: 'CG_MAX_AGE_RANGE', path: ['maxAge'] }],
  },
  {
    description: 'R21: maxAge as a string',
    config: { maxAge: '600' },
    issues: [{ code: 'CG_MAX_AGE_RANGE', path: ['maxAge'] }],
  },
  {
    description: 'R14: a preflight status that is not 200 or 204',
    config: { preflightStatus: 201 },
    issues: [{ code: 'CG_PREFLIGHT_STATUS', path: ['preflightStatus'] }],
  },
  {
    description:
      '§3.1: a public origin with a trailing slash (publicOrigins are compared as browsers send them)',
    config: { publicOrigins: ['https://app.example.com', 'https://app.example.com/'] },
    issues: [{ code: 'CG_PUBLIC_ORIGIN_INVALID', path: ['publicOrigins', 1] }],
  },
];

function shape(issues: readonly ConfigIssue[]) {
  return issues.map((i) => ({
    code: i.code,
    path: [...i.path],
    ...(i.suggestion === undefined ? {} : { suggestion: i.suggestion }),
  }));
}

describe('validateConfig: one problem per row', () => {
  it.each(rows.map((row) => [row.description, row] as const))('reports %s', (_d, row) => {
    const found = validateConfig(row.config);
    // Rows name a suggestion only where it matters; suggestions are compared only for those.
    const expected = row.issues;
    expect(found.map((i) => ({ code: i.code, path: [...i.path] }))).toEqual(
      expected.map((i) => ({ code: i.code, path: i.path })),
    );
    expected.forEach((want, k) => {
      if (want.suggestion !== undefined) expect(found[k]?.suggestion).toBe(want.suggestion);
      expect(found[k]?.severity).toBe(ISSUE_CODES[want.code].severity);
      expect(found[k]?.reason).toMatch(/^corsgate: /);
    });
    const errors = found.filter((i) => i.severity === 'error');
    if (errors.length > 0) {
      let thrown: unknown;
      try {
        createPolicy(row.config as never);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(CorsConfigError);
      expect(shape((thrown as CorsConfigError).issues)).toEqual(shape(found));
    } else {
      expect(shape(createPolicy(row.config as never).warnings)).toEqual(shape(found));
    }
  });
});

describe('validateConfig: the whole configuration at once', () => {
  it('reports every problem of a configuration in one CorsConfigError, in config order', () => {
    const config = {
      origins: ['*', 'null', 'https://a.example/x'],
      credentials: true,
      methods: ['TRACE', 'patch'],
      requestHeaders: ['Cookie'],
      exposeHeaders: ['Set-Cookie', '*'],
      maxAge: 90_000,
      preflightStatus: 302,
      colour: 'blue',
    };
    let thrown: CorsConfigError | undefined;
    try {
      createPolicy(config as never);
    } catch (e) {
      thrown = e as CorsConfigError;
    }
    expect(thrown).toBeInstanceOf(CorsConfigError);
    expect(thrown!.issues.map((i) => `${i.code} ${i.path.join('.')}`)).toEqual([
      'CG_CONFIG_UNKNOWN_FIELD colour',
      'CG_ORIGIN_ANY_WITH_CREDENTIALS origins.0',
      'CG_ORIGIN_NULL origins.1',
      'CG_ORIGIN_HAS_PATH origins.2',
      'CG_METHOD_FORBIDDEN methods.0',
      'CG_METHOD_NOT_UPPER_CASE methods.1',
      'CG_REQUEST_HEADER_FORBIDDEN requestHeaders.0',
      'CG_EXPOSE_HEADER_FORBIDDEN exposeHeaders.0',
      'CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS exposeHeaders.1',
      'CG_MAX_AGE_RANGE maxAge',
      'CG_PREFLIGHT_STATUS preflightStatus',
    ]);
    expect(thrown!.errors).toHaveLength(10);
    expect(thrown!.message).toContain('invalid configuration (10 errors)');
    expect(thrown!.message).toContain('origins[2]: error CG_ORIGIN_HAS_PATH');
  });

  it('formats an issue as PATH: severity CODE reason (suggestion), the one problem format', () => {
    const [found] = validateConfig({ origins: ['app.example.com'] });
    expect(formatIssue(found!)).toBe(
      'origins[0]: error CG_ORIGIN_MISSING_SCHEME "app.example.com" has no scheme; browsers send the scheme in Origin (did you mean https://app.example.com?)',
    );
  });

  it('accepts the dangerous opt-ins and then reports nothing for what they allow', () => {
    expect(
      validateConfig({
        origins: ['null', 'http://app.example.com', 'https://*.github.io'],
        credentials: true,
        dangerouslyAllowNullOrigin: true,
        dangerouslyAllowInsecureOrigins: true,
        dangerouslyAllowPublicSuffixWildcards: true,
      }),
    ).toEqual([]);
  });

  it('accepts loopback http origins with credentials without the insecure opt-in', () => {
    expect(
      validateConfig({
        origins: [
          'http://localhost:3000',
          'http://127.0.0.1:8080',
          'http://[::1]:5173',
          'http://app.localhost',
        ],
        credentials: true,
      }),
    ).toEqual([]);
  });

  it('accepts a credentialed *.localhost wildcard: a single label, but only ever this machine (RFC 6761)', () => {
    expect(validateConfig({ origins: ['http://*.localhost:*'], credentials: true })).toEqual([]);
  });
});

describe('validateConfig: duplicate entries', () => {
  it('names the first entry of each duplicate, before and after a first duplicate, by either parse path', () => {
    const issues = validateConfig({
      origins: [
        'https://a.example', // 0
        'https://b.example', // 1
        'https://a.example', // 2: the first duplicate
        'https://c.example', // 3: listed after it
        'https://c.example', // 4
        'HTTPS://B.example', // 5: normalised by the general parser, then a duplicate of 1
        'http://d.example:8080', // 6
        'http://d.example:8080', // 7
        'https://*.example.org', // 8
        'https://*.example.org', // 9: a pattern, deduplicated apart from exact origins
      ],
    }).filter((i) => i.code === 'CG_ORIGIN_DUPLICATE');
    expect(issues.map((i) => [i.path[1], i.reason])).toEqual([
      [2, 'corsgate: "https://a.example" is already listed at origins[0]'],
      [4, 'corsgate: "https://c.example" is already listed at origins[3]'],
      [5, 'corsgate: "https://b.example" is already listed at origins[1]'],
      [7, 'corsgate: "http://d.example:8080" is already listed at origins[6]'],
      [9, 'corsgate: "https://*.example.org" is already listed at origins[8]'],
    ]);
  });
});

describe('validateConfig: redundant entries', () => {
  const redundant = (origins: string[]) =>
    validateConfig({ origins })
      .filter((i) => i.code === 'CG_ORIGIN_REDUNDANT')
      .map((i) => i.path[1]);
  it.each([
    ['a wildcard under a wider wildcard', ['https://*.example.com', 'https://*.a.example.com'], [1]],
    [
      'a wildcard under the same wildcard with any port',
      ['https://*.example.com:*', 'https://*.example.com'],
      [1],
    ],
    ['a :* host under an any-port wildcard', ['https://*.example.com:*', 'https://a.example.com:*'], [1]],
    ['an exact port under a :* host', ['https://a.example:*', 'https://a.example:8443'], [1]],
    [
      'a default-port wildcard listed before its any-port twin',
      ['https://*.example.com', 'https://*.example.com:*'],
      [0],
    ],
    ['every entry after *', ['*', 'https://a.example', 'https://*.b.example'], [1, 2]],
  ])('warns about %s', (_d, origins, paths) => {
    expect(redundant(origins)).toEqual(paths);
  });
  it.each([
    // Regression: `https://example.com:*` admits the apex only, never its subdomains.
    ['a wildcard beside an any-port apex', ['https://example.com:*', 'https://*.example.com']],
    ['the apex beside its wildcard', ['https://*.example.com', 'https://example.com']],
    ['another port beside a default-port wildcard', ['https://*.example.com', 'https://a.example.com:8443']],
    ['another scheme beside a wildcard', ['https://*.example.com', 'http://a.example.com']],
  ])('does not warn about %s', (_d, origins) => {
    expect(redundant(origins)).toEqual([]);
  });
});

/** Codes the engine owns; other modules (the allowlist file, the CLI) add their own prefixes. */
const ENGINE_PREFIXES = [
  'CG_CONFIG_',
  'CG_PUBLIC_ORIGIN_',
  'CG_ORIGIN_',
  'CG_PRIVATE_NETWORK_',
  'CG_METHOD_',
  'CG_REQUEST_HEADER_',
  'CG_EXPOSE_HEADER_',
  'CG_MAX_AGE_',
  'CG_PREFLIGHT_',
];

describe('ISSUE_CODES', () => {
  it('has every engine code exercised by a row above', () => {
    const exercised = new Set(rows.flatMap((row) => row.issues.map((i) => i.code)));
    const engineCodes = Object.keys(ISSUE_CODES).filter((code) =>
      ENGINE_PREFIXES.some((p) => code.startsWith(p)),
    );
    expect(engineCodes.filter((code) => !exercised.has(code as IssueCode))).toEqual([]);
  });
});
