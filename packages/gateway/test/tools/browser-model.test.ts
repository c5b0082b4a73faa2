/**
 * The browser model against the rules of docs/rules.md (R-ids) and the WPT vectors it names as
 * sources (§5): every row names its source. These are the oracle `corsgate check` relies on.
 */
import { describe, expect, it } from 'vitest';
import {
  buildAcrh,
  checkPreflight,
  corsCheck,
  corsUnsafeRequestHeaderNames,
  type HeaderPair,
  headerLinesFromRaw,
  isCorsSafelistedRequestHeader,
  MAX_SAFELISTED_TOTAL_BYTES,
  MAX_SAFELISTED_VALUE_BYTES,
  type PreflightInput,
  parseMimeTypeEssence,
  preflightCacheSeconds,
  preflightNeed,
  readableHeaders,
} from '../../src/browser-model/index.js';
import { originOfUrl } from '../../src/browser-model/origin.js';

const raw = (...pairs: [string, string][]) => headerLinesFromRaw(pairs.flat());

describe('CORS-safelisted request headers (R4)', () => {
  // WPT fetch/api/cors/cors-preflight-not-cors-safelisted.any.js + resources/not-cors-safelisted.json
  const notSafelisted: [string, string, string][] = [
    ['accept', '"', 'a CORS-unsafe byte'],
    ['accept', 'a'.repeat(129), '129 bytes, one over the limit'],
    ['accept-language', '@', 'a byte outside the language set'],
    ['accept-language', '\u0001', 'a control byte'],
    ['content-language', '@', 'a byte outside the language set'],
    ['authorization', 'basics', 'not a safelisted name'],
    ['content-type', 'text/html', 'a non-safelisted essence'],
    [
      'content-type',
      `text/plain; long=${'0'.repeat(129 - 'text/plain; long='.length)}`,
      '129 bytes with a parameter',
    ],
    ['range', 'bytes 0-', 'no "=" after the unit'],
    ['test', 'hi', 'not a safelisted name'],
  ];
  it.each(notSafelisted)('does not safelist %s: %j (%s)', (name, value) => {
    expect(isCorsSafelistedRequestHeader(name, value)).toBe(false);
  });

  it('safelists a 128-byte Accept but not a 129-byte one (the limit, by one)', () => {
    expect(isCorsSafelistedRequestHeader('Accept', 'a'.repeat(MAX_SAFELISTED_VALUE_BYTES))).toBe(true);
    expect(isCorsSafelistedRequestHeader('Accept', 'a'.repeat(MAX_SAFELISTED_VALUE_BYTES + 1))).toBe(false);
  });

  // WPT cors/cors-safelisted-request-header.any.js (Content-Type rows) and cors-no-preflight.any.js
  const contentTypes: [string, boolean][] = [
    ['Text/Plain;charset=utf-8', true],
    ['text /plain', false],
    ['text\t/\tplain', false],
    ['text/plain;', true],
    ['text/plain;garbage', true],
    ['text/plain;garbage\u0001\u0002', false],
    ['text/plain,', false],
    [',text/plain', false],
    ['text/plain,text/plain', false],
    ['text/plain,x/x', false],
    ['text/plain\u000B', false],
    ['text/plain\u000C', false],
    ['application/www-form-urlencoded', false],
    ['application/x-www-form-urlencoded;\u007F', false],
    ['multipart/form-data', true],
    ['multipart/form-data;"', false],
    ['application/json', false],
  ];
  it.each(contentTypes)('Content-Type %j is safelisted: %s (strict MIME parsing)', (value, safe) => {
    expect(isCorsSafelistedRequestHeader('Content-Type', value)).toBe(safe);
  });

  it('parses the MIME essence strictly, lower-casing type and subtype', () => {
    expect(parseMimeTypeEssence('TEXT/Plain ; charset=x')).toBe('text/plain');
    expect(parseMimeTypeEssence('text/')).toBeNull();
    expect(parseMimeTypeEssence('/plain')).toBeNull();
  });

  // WPT cors/cors-safelisted-request-header.any.js (Range rows)
  const ranges: [string, boolean][] = [
    ['100-200', false],
    ['MB=100-200', false],
    ['bytes=100-200', true],
    ['bytes =100-200', false],
    ['bytes\t=100-200', false],
    ['bytes=  100-200', false],
    ['bytes=100 -200', false],
    ['bytes=100- 200', false],
    ['bytes=100-200hello', false],
    ['bytes=abc-def', false],
    ['bytes=100-200,300-400', false],
    ['bytes=-200', false],
    ['bytes=200-', true],
    ['bytes=200-100', false],
    [`bytes=1${'0'.repeat(60)}-2${'0'.repeat(60)}`, false],
    ['bytes 100-200', false],
    [',bytes=100-200', false],
    ['bytes=,100-200', false],
  ];
  it.each(ranges)('Range %j is safelisted: %s', (value, safe) => {
    expect(isCorsSafelistedRequestHeader('Range', value)).toBe(safe);
  });

  it('treats every safelisted header as unsafe once their values total more than 1024 bytes', () => {
    const four: HeaderPair[] = [
      ['Accept', 'a'.repeat(128)],
      ['Accept-Language', 'b'.repeat(128)],
      ['Content-Language', 'c'.repeat(128)],
      ['Content-Type', 'text/plain'],
    ];
    expect(corsUnsafeRequestHeaderNames(four)).toEqual([]);
    // The same name repeated as separate header-list entries adds up (9 × 128 > 1024).
    const many: HeaderPair[] = Array.from({ length: 9 }, () => ['Accept', 'a'.repeat(128)] as const);
    expect(9 * 128).toBeGreaterThan(MAX_SAFELISTED_TOTAL_BYTES);
    expect(corsUnsafeRequestHeaderNames(many)).toEqual(['accept']);
    const need = preflightNeed('GET', many);
    expect(need.needed).toBe(true);
    expect(need.totalRuleApplied).toBe(true);
  });

  it('does not apply the total rule at exactly 1024 bytes', () => {
    const exact: HeaderPair[] = Array.from({ length: 8 }, () => ['Accept', 'a'.repeat(128)] as const);
    expect(corsUnsafeRequestHeaderNames(exact)).toEqual([]);
  });
});

describe('Chromium’s wider safelist (services/network/public/cpp/cors/cors.cc)', () => {
  const rows: [string, string, boolean][] = [
    ['DPR', '2', true],
    ['DPR', '2.5', true],
    ['DPR', 'x', false],
    ['Device-Memory', '8', true],
    ['Width', '1200', true],
    ['Width', '12.5', false],
    ['Viewport-Width', '800', true],
    ['RTT', '50', true],
    ['Downlink', '1.5', true],
    ['ECT', '4g', true],
    ['ECT', '5g', false],
    ['Save-Data', 'on', true],
    ['Save-Data', 'off', false],
    ['Intervention', 'anything', true],
  ];
  it.each(rows)(
    'chromium: %s: %j is safelisted: %s; the spec never safelists it',
    (name, value, chromium) => {
      expect(isCorsSafelistedRequestHeader(name, value, 'chromium')).toBe(chromium);
      expect(isCorsSafelistedRequestHeader(name, value)).toBe(false);
      expect(isCorsSafelistedRequestHeader(name, value, 'firefox')).toBe(false);
    },
  );
  it('still applies the 128-byte limit to them', () => {
    expect(isCorsSafelistedRequestHeader('Intervention', 'a'.repeat(129), 'chromium')).toBe(false);
  });
  it('so chromium sends no preflight for a GET with DPR while firefox and safari do', () => {
    expect(preflightNeed('GET', [['DPR', '2']], 'chromium').needed).toBe(false);
    expect(preflightNeed('GET', [['DPR', '2']], 'firefox').needed).toBe(true);
    expect(preflightNeed('GET', [['DPR', '2']], 'safari').needed).toBe(true);
  });
});

describe('preflight decision and Access-Control-Request-Headers (R3, R5)', () => {
  it('builds ACRH lower-cased, de-duplicated, byte-sorted, joined by "," without spaces', () => {
    // WPT cors-preflight.any.js: the value must equal the sorted lower-case names joined by ",".
    const unsafe = corsUnsafeRequestHeaderNames([
      ['X-B', '1'],
      ['x-a', '2'],
      ['X-b', '3'],
      ['Content-Type', 'application/json'],
      ['Accept', 'text/html'],
    ]);
    expect(buildAcrh(unsafe)).toBe('content-type,x-a,x-b');
  });
  it('sends no ACRH when every header is safelisted', () => {
    expect(buildAcrh(corsUnsafeRequestHeaderNames([['Accept', 'application/json']]))).toBeNull();
  });
  it('does not preflight GET, HEAD or POST with safelisted headers (cors-no-preflight.any.js)', () => {
    for (const m of ['GET', 'HEAD', 'POST'])
      expect(preflightNeed(m, [['Content-Type', 'Text/Plain;charset=utf-8']]).needed).toBe(false);
  });
  it('preflights PUT, DELETE, PATCH and a made-up method', () => {
    for (const m of ['PUT', 'DELETE', 'PATCH', 'patch', 'NEW'])
      expect(preflightNeed(m, []).needed).toBe(true);
  });
});

describe('the CORS check (R10, R13)', () => {
  const origin = 'https://rabbit.invalid';
  // The credentials table of FETCH #cors-protocol-and-credentials (R13), row by row.
  const table: [string, [string, string][], boolean, boolean][] = [
    ['omit + *', [['Access-Control-Allow-Origin', '*']], false, true],
    [
      'omit + * + ACAC true (ACAC ignored)',
      [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      false,
      true,
    ],
    [
      'omit + origin with trailing slash',
      [['Access-Control-Allow-Origin', 'https://rabbit.invalid/']],
      false,
      false,
    ],
    ['omit + exact origin', [['Access-Control-Allow-Origin', origin]], false, true],
    [
      'include + * + true',
      [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      true,
      false,
    ],
    [
      'include + exact + true',
      [
        ['Access-Control-Allow-Origin', origin],
        ['Access-Control-Allow-Credentials', 'true'],
      ],
      true,
      true,
    ],
    [
      'include + exact + True (case-sensitive)',
      [
        ['Access-Control-Allow-Origin', origin],
        ['Access-Control-Allow-Credentials', 'True'],
      ],
      true,
      false,
    ],
  ];
  it.each(table)('%s → passes: %s', (_label, headers, credentials, ok) => {
    expect(corsCheck(raw(...headers), origin, credentials).ok).toBe(ok);
  });

  // WPT cors/origin.htm and credentials-flag.htm
  it('fails with two ACAO lines even when both are the origin', () => {
    const r = corsCheck(
      raw(['Access-Control-Allow-Origin', origin], ['Access-Control-Allow-Origin', origin]),
      origin,
      false,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.value).toBe(`${origin}, ${origin}`);
  });
  it('passes with surrounding OWS (field values are trimmed)', () => {
    expect(corsCheck(headerLinesFromRaw(['Access-Control-Allow-Origin', '  *  ']), origin, false).ok).toBe(
      true,
    );
    expect(
      corsCheck(headerLinesFromRaw(['Access-Control-Allow-Origin', `\t${origin}`]), origin, false).ok,
    ).toBe(true);
  });
  it.each(['TRUE', 'True', '"true"', 'false', '1', '0'])(
    'fails a credentialed request with ACAC %j',
    (acac) => {
      expect(
        corsCheck(
          raw(['Access-Control-Allow-Origin', origin], ['Access-Control-Allow-Credentials', acac]),
          origin,
          true,
        ).ok,
      ).toBe(false);
    },
  );
  it.each(['HTTPS://rabbit.invalid', 'https://rabbit.invalid:443', 'https://rabbit.invalid?', 'null', ''])(
    'fails ACAO %j for origin https://rabbit.invalid (byte-for-byte)',
    (acao) => {
      expect(corsCheck(raw(['Access-Control-Allow-Origin', acao]), origin, false).ok).toBe(false);
    },
  );
  it('accepts ACAO: null only for the null origin (data-url-iframe.html)', () => {
    expect(corsCheck(raw(['Access-Control-Allow-Origin', 'null']), 'null', false).ok).toBe(true);
  });
});

describe('preflight success (R14–R19)', () => {
  const base: PreflightInput = {
    status: 204,
    headers: new Map(),
    origin: 'https://a.example',
    method: 'PUT',
    unsafeNames: [],
    requestHeaderNames: [],
    credentials: false,
    browser: 'chromium',
  };
  const run = (over: Partial<PreflightInput>, ...headers: [string, string][]) => {
    const steps = checkPreflight({
      ...base,
      ...over,
      headers: raw(['Access-Control-Allow-Origin', over.credentials ? 'https://a.example' : '*'], ...headers),
    });
    return { ok: steps.every((s) => s.ok), steps };
  };
  it.each([200, 204, 206, 299])('accepts preflight status %i (cors-preflight-status.any.js)', (status) => {
    expect(run({ status }, ['Access-Control-Allow-Methods', 'PUT']).ok).toBe(true);
  });
  it.each([300, 301, 302, 303, 307, 308, 400, 401, 403, 404, 405, 500, 501, 502, 503])(
    'refuses preflight status %i',
    (status) => {
      expect(run({ status }, ['Access-Control-Allow-Methods', 'PUT']).ok).toBe(false);
    },
  );
  it('does not let ACAM "put" allow PUT (case-sensitive, cors-preflight-star.any.js)', () => {
    const r = run({}, ['Access-Control-Allow-Methods', 'put']);
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)?.message).toContain('case-sensitively');
  });
  it('needs no ACAM for GET, HEAD and POST even when ACAM says "get"', () => {
    for (const method of ['GET', 'HEAD', 'POST'])
      expect(
        run(
          { method, unsafeNames: ['x-a'] },
          ['Access-Control-Allow-Methods', 'get'],
          ['Access-Control-Allow-Headers', 'x-a'],
        ).ok,
      ).toBe(true);
  });
  it('treats ACAM * as a wildcard without credentials only (R18)', () => {
    expect(run({}, ['Access-Control-Allow-Methods', '*']).ok).toBe(true);
    expect(
      run(
        { credentials: true },
        ['Access-Control-Allow-Methods', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
      ).ok,
    ).toBe(false);
  });
  it('matches the literal method "*" with credentials', () => {
    expect(
      run(
        { credentials: true, method: '*' },
        ['Access-Control-Allow-Methods', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
      ).ok,
    ).toBe(true);
  });
  it('fails the whole preflight when an ACAM element is not a token ("Bad method name")', () => {
    const r = run({}, ['Access-Control-Allow-Methods', 'PUT, BAD METHOD']);
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)?.rule).toBe('R15');
  });
  it('fails the whole preflight when an ACAH element has a space ("header name with space")', () => {
    const r = run(
      { unsafeNames: ['x-a'] },
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', 'x-a, x b'],
    );
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)?.header).toBe('Access-Control-Allow-Headers');
  });
  it('tolerates empty ACAH elements and matches names case-insensitively (request-headers.htm)', () => {
    const r = run({ method: 'GET', unsafeNames: ['x-print', 'y-print'] }, [
      'Access-Control-Allow-Headers',
      ',y-lol,x-PriNT, ,,,Y-PRINT',
    ]);
    expect(r.ok).toBe(true);
  });
  it('joins several ACAH lines', () => {
    expect(
      run(
        { unsafeNames: ['x-a', 'x-b'] },
        ['Access-Control-Allow-Methods', 'PUT'],
        ['Access-Control-Allow-Headers', 'x-a'],
        ['Access-Control-Allow-Headers', 'X-B'],
      ).ok,
    ).toBe(true);
  });
  it('refuses an unlisted request header', () => {
    const r = run(
      { unsafeNames: ['x-a'] },
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', 'x-b'],
    );
    expect(r.ok).toBe(false);
    expect(r.steps.at(-1)?.fix).toBe('add x-a to Access-Control-Allow-Headers');
  });
  it('treats ACAH * as a wildcard without credentials only (R18)', () => {
    const h: [string, string][] = [
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', '*'],
    ];
    expect(run({ unsafeNames: ['x-a'] }, ...h).ok).toBe(true);
    expect(
      run({ unsafeNames: ['x-a'], credentials: true }, ...h, ['Access-Control-Allow-Credentials', 'true']).ok,
    ).toBe(false);
  });
  it('lets ACAH * cover Authorization as shipping browsers do, with a warning citing the spec (R17, whatwg/fetch#1919)', () => {
    for (const browser of ['chromium', 'firefox', 'safari'] as const) {
      const r = run(
        { unsafeNames: ['authorization'], requestHeaderNames: ['authorization'], browser },
        ['Access-Control-Allow-Methods', 'PUT'],
        ['Access-Control-Allow-Headers', '*'],
      );
      expect(r.ok).toBe(true);
      const headers = r.steps.find((s) => s.id === 'headers');
      expect(headers?.warning).toContain('whatwg/fetch#1919');
    }
  });
  it('never lets ACAH * cover Authorization with credentials', () => {
    const r = run(
      { unsafeNames: ['authorization'], requestHeaderNames: ['authorization'], credentials: true },
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', '*'],
      ['Access-Control-Allow-Credentials', 'true'],
    );
    expect(r.ok).toBe(false);
  });
  it('allows Authorization listed explicitly in any case, without a warning', () => {
    const r = run(
      { unsafeNames: ['authorization'], requestHeaderNames: ['authorization'] },
      ['Access-Control-Allow-Methods', 'PUT'],
      ['Access-Control-Allow-Headers', 'AUTHORIZATION'],
    );
    expect(r.ok).toBe(true);
    expect(r.steps.find((s) => s.id === 'headers')?.warning).toBeUndefined();
  });
  it('requires exact ACAO and ACAC true on the preflight of a credentialed request (R19)', () => {
    const steps = checkPreflight({
      ...base,
      credentials: true,
      headers: raw(
        ['Access-Control-Allow-Origin', 'https://a.example'],
        ['Access-Control-Allow-Methods', 'PUT'],
      ),
    });
    expect(steps[0]).toMatchObject({
      ok: false,
      rule: 'R19',
      header: 'Access-Control-Allow-Credentials',
      value: null,
    });
  });
});

describe('Access-Control-Max-Age per browser (R20, R21)', () => {
  const cases: [string | null, number, number, number][] = [
    // value, chromium, firefox, safari
    [null, 5, 5, 5],
    ['0', 0, 0, 0],
    ['600', 600, 600, 600],
    ['7200', 7200, 7200, 600],
    ['86400', 7200, 86400, 600],
    ['100000', 7200, 86400, 600],
    ['-1', 0, 0, 0],
    ['abc', 5, 0, 5],
  ];
  it.each(cases)('Access-Control-Max-Age %j → chromium %i s, firefox %i s, safari %i s', (value, c, f, s) => {
    const h = value === null ? new Map() : raw(['Access-Control-Max-Age', value]);
    expect(preflightCacheSeconds(h, 'chromium').seconds).toBe(c);
    expect(preflightCacheSeconds(h, 'firefox').seconds).toBe(f);
    expect(preflightCacheSeconds(h, 'safari').seconds).toBe(s);
  });
});

describe('readable response headers (R22, R23)', () => {
  const response = (...extra: [string, string][]) =>
    raw(
      ['Content-Type', 'text/plain'],
      ['Content-Length', '2'],
      ['Set-Cookie', 'a=b'],
      ['X-Request-Id', '1'],
      ['Server', 'x'],
      ...extra,
    );
  it('exposes only the safelisted names without ACEH (Content-Length included since 2018)', () => {
    expect(readableHeaders(response(), false)).toEqual(['content-length', 'content-type']);
  });
  it('exposes listed names case-insensitively, never Set-Cookie', () => {
    expect(
      readableHeaders(response(['Access-Control-Expose-Headers', 'x-request-id, Set-Cookie']), false),
    ).toEqual(['content-length', 'content-type', 'x-request-id']);
  });
  it('exposes everything but Set-Cookie for ACEH * without credentials (cors-expose-star.js)', () => {
    expect(readableHeaders(response(['Access-Control-Expose-Headers', '*']), false)).toEqual([
      'access-control-expose-headers',
      'content-length',
      'content-type',
      'server',
      'x-request-id',
    ]);
  });
  it('treats ACEH * as a literal name with credentials', () => {
    expect(readableHeaders(response(['Access-Control-Expose-Headers', '*']), true)).toEqual([
      'content-length',
      'content-type',
    ]);
  });
  it('exposes nothing extra when ACEH does not parse, and tolerates empty elements', () => {
    expect(
      readableHeaders(response(['Access-Control-Expose-Headers', 'x-request-id, bad name']), false),
    ).toEqual(['content-length', 'content-type']);
    expect(readableHeaders(response(['Access-Control-Expose-Headers', ',x-request-id']), false)).toContain(
      'x-request-id',
    );
  });
});

describe('the Origin of a URL (URL Standard, §3.1)', () => {
  const table: [string, string][] = [
    ['HTTPS://Example.COM:443/path?q#f', 'https://example.com'],
    ['http://example.com:8080/', 'http://example.com:8080'],
    ['http://bücher.example/', 'http://xn--bcher-kva.example'],
    ['http://0x7f.1/', 'http://127.0.0.1'],
    ['http://[2001:DB8:0:0:0:0:0:1]/', 'http://[2001:db8::1]'],
    ['file:///home/me/index.html', 'null'],
    ['data:text/html,hi', 'null'],
    ['about:blank', 'null'],
    ['capacitor://localhost', 'null'],
    ['blob:https://a.example/uuid', 'https://a.example'],
  ];
  it.each(table)('%s sends Origin %s', (url, origin) => {
    expect(originOfUrl(url)?.origin).toBe(origin);
  });
  it('is null in a sandboxed iframe', () => {
    expect(originOfUrl('https://a.example/', { sandboxed: true })?.origin).toBe('null');
  });
  it('is not a URL without a scheme', () => {
    expect(originOfUrl('example.com')).toBeNull();
  });
});
