import { describe, expect, it } from 'vitest';
import { formatAllowlistIssue, parseAllowlist } from '../../src/allowlist/index.js';
import { MAX_ECHO_LENGTH } from '../../src/index.js';

const GET = (origin: string) => ({ method: 'GET', origin });

describe('parseAllowlist: the file format', () => {
  it('reads one entry a line, trimming white space and skipping blank and # lines', () => {
    const r = parseAllowlist(
      '# team apps\n\n   https://a.example.com  \n\t# indented comment\nhttps://b.example.com\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.entries).toEqual([
      { origin: 'https://a.example.com', line: 3 },
      { origin: 'https://b.example.com', line: 5 },
    ]);
    expect(r.policy?.evaluate(GET('https://b.example.com')).headers).toEqual({
      'Access-Control-Allow-Origin': 'https://b.example.com',
    });
  });

  it('accepts a BOM and CRLF line ends, and counts lines the same way', () => {
    const r = parseAllowlist('\uFEFFhttps://a.example.com\r\n\r\nhttps://a.example.com/path\r\n');
    expect(r.entries).toEqual([{ origin: 'https://a.example.com', line: 1 }]);
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'CG_ORIGIN_HAS_PATH',
        line: 3,
        column: 22,
        text: 'https://a.example.com/path',
      }),
    ]);
  });

  it('accepts a last line without a newline', () => {
    expect(parseAllowlist('https://a.example.com').entries).toEqual([
      { origin: 'https://a.example.com', line: 1 },
    ]);
  });

  it('treats # only at the start of a line as a comment; an inline # is an error', () => {
    const r = parseAllowlist('https://a.example.com # prod\n');
    expect(r.errors).toEqual([expect.objectContaining({ code: 'CG_ORIGIN_UNSUPPORTED_PATTERN', line: 1 })]);
  });

  it('applies an empty file as "nobody", with a CG_ALLOWLIST_EMPTY warning', () => {
    for (const text of ['', '\n\n', '# nothing yet\n', '\uFEFF']) {
      const r = parseAllowlist(text);
      expect(r.errors).toEqual([]);
      expect(r.entries).toEqual([]);
      expect(r.warnings.map((w) => w.code)).toEqual(['CG_ALLOWLIST_EMPTY']);
      const decision = r.policy!.evaluate(GET('https://a.example.com'));
      expect(decision.allowed).toBe(false);
      expect(decision.headers).toEqual({});
    }
  });

  it('reports bytes that are not UTF-8 with the line and column of the first bad byte', () => {
    const bytes = new Uint8Array([
      ...Buffer.from('https://a.com\nhttps://b'),
      0xff,
      ...Buffer.from('.com\n'),
    ]);
    const r = parseAllowlist(bytes);
    expect(r.errors).toEqual([
      expect.objectContaining({ code: 'CG_ALLOWLIST_INVALID_UTF8', severity: 'error', line: 2, column: 10 }),
    ]);
    expect(r.policy).toBeUndefined();
  });

  it('decodes UTF-8 bytes with a BOM', () => {
    const r = parseAllowlist(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('https://bücher.example\n')]));
    expect(r.errors).toEqual([]);
    expect(r.entries).toEqual([{ origin: 'https://xn--bcher-kva.example', line: 1 }]);
  });
});

describe('parseAllowlist: normalised with a warning', () => {
  const table: [string, string, string][] = [
    ['https://APP.Example.com', 'CG_ORIGIN_UPPER_CASE', 'https://app.example.com'],
    ['HTTPS://app.example.com', 'CG_ORIGIN_UPPER_CASE', 'https://app.example.com'],
    ['https://app.example.com/', 'CG_ORIGIN_TRAILING_SLASH', 'https://app.example.com'],
    ['https://app.example.com:443', 'CG_ORIGIN_DEFAULT_PORT', 'https://app.example.com'],
    ['http://app.example.com:80', 'CG_ORIGIN_DEFAULT_PORT', 'http://app.example.com'],
    ['https://bücher.example', 'CG_ORIGIN_UNICODE_HOST', 'https://xn--bcher-kva.example'],
    ['https://*.co.uk', 'CG_ORIGIN_BROAD_WILDCARD', 'https://*.co.uk'],
  ];
  it.each(table)('%s: %s, stored as %s', (entry, code, stored) => {
    const r = parseAllowlist(`# header\n  ${entry}\n`);
    expect(r.errors).toEqual([]);
    expect(r.entries).toEqual([{ origin: stored, line: 2 }]);
    expect(r.warnings).toEqual([
      expect.objectContaining({ code, severity: 'warning', line: 2, column: 3, text: entry }),
    ]);
    expect(r.warnings[0]!.message).toMatch(/^corsgate: /);
  });

  it('allows the punycode origin a browser sends for a Unicode entry', () => {
    const r = parseAllowlist('https://bücher.example\n');
    expect(r.policy!.evaluate(GET('https://xn--bcher-kva.example')).allowed).toBe(true);
  });

  it('reports a duplicate (after normalisation) by line, and keeps one entry', () => {
    const r = parseAllowlist('https://a.example.com\n\nhttps://A.example.com/\n');
    expect(r.entries).toEqual([{ origin: 'https://a.example.com', line: 1 }]);
    const dup = r.warnings.find((w) => w.code === 'CG_ORIGIN_DUPLICATE');
    expect(dup).toMatchObject({ line: 3, column: 1, text: 'https://A.example.com/' });
    expect(dup!.message).toContain('already listed at line 1');
  });

  it('reports an entry covered by a wildcard or by *', () => {
    const r = parseAllowlist('https://*.example.com\nhttps://api.example.com\n');
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'CG_ORIGIN_REDUNDANT', line: 2 })]);
    const any = parseAllowlist('*\nhttps://api.example.com\n');
    expect(any.warnings).toEqual([
      expect.objectContaining({ code: 'CG_ALLOWLIST_ANY_ORIGIN', line: 1 }),
      expect.objectContaining({ code: 'CG_ORIGIN_REDUNDANT', line: 2 }),
    ]);
  });
  it('warns that * lets every site read the responses, and still applies it', () => {
    const r = parseAllowlist('# public API\n  *\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      expect.objectContaining({ code: 'CG_ALLOWLIST_ANY_ORIGIN', severity: 'warning', line: 2, column: 3 }),
    ]);
    expect(r.policy?.evaluate({ method: 'GET', origin: 'https://anyone.example' }).allowed).toBe(true);
  });
});

describe('parseAllowlist: errors, each with line, column, code and a suggestion where one exists', () => {
  const table: [string, string, number, string | undefined][] = [
    ['app.example.com', 'CG_ORIGIN_MISSING_SCHEME', 1, 'did you mean https://app.example.com?'],
    ['localhost:3000', 'CG_ORIGIN_MISSING_SCHEME', 1, 'did you mean http://localhost:3000?'],
    ['https://a.example.com/path', 'CG_ORIGIN_HAS_PATH', 22, 'did you mean https://a.example.com?'],
    ['https://a.example.com/a/b', 'CG_ORIGIN_HAS_PATH', 22, 'did you mean https://a.example.com?'],
    ['https://a.example.com#x', 'CG_ORIGIN_HAS_PATH', 22, 'did you mean https://a.example.com?'],
    ['https://user:pw@a.example.com', 'CG_ORIGIN_HAS_USERINFO', 9, 'did you mean https://a.example.com?'],
    ['https://a.example.com:99999', 'CG_ORIGIN_INVALID_PORT', 23, undefined],
    ['https://a.example.com:0443', 'CG_ORIGIN_INVALID_PORT', 23, 'did you mean :443?'],
    ['https://[::1', 'CG_ORIGIN_INVALID_HOST', 1, undefined],
    ['https://a..example.com', 'CG_ORIGIN_INVALID_HOST', 1, undefined],
    ['ht~tp://a.example.com', 'CG_ORIGIN_INVALID_SCHEME', 1, undefined],
    ['file:///etc/passwd', 'CG_ORIGIN_FILE_SCHEME', 1, undefined],
    ['https://a*.example.com', 'CG_ORIGIN_UNSUPPORTED_PATTERN', 1, undefined],
    ['^https://.*\\.example\\.com$', 'CG_ORIGIN_UNSUPPORTED_PATTERN', 1, undefined],
    ['null', 'CG_ORIGIN_NULL', 1, undefined],
    ['x'.repeat(3000), 'CG_ORIGIN_TOO_LONG', 1, undefined],
  ];
  it.each(table)('%s: %s', (entry, code, column, suggestion) => {
    const r = parseAllowlist(`https://ok.example.com\n${entry}\n`);
    expect(r.errors).toHaveLength(1);
    const [error] = r.errors;
    // The text is echoed only as an excerpt (the line may come from a secret file).
    const text = entry.length <= MAX_ECHO_LENGTH ? entry : `${entry.slice(0, MAX_ECHO_LENGTH - 1)}…`;
    expect(error).toMatchObject({ code, severity: 'error', line: 2, column, text });
    expect(error!.suggestion).toBe(suggestion);
    expect(error!.message).toMatch(/^corsgate: /);
    // A version with any error is not applied.
    expect(r.policy).toBeUndefined();
  });

  it('refuses * with credentials, and the null origin unless dangerouslyAllowNullOrigin', () => {
    expect(parseAllowlist('*\n', { credentials: true }).errors).toEqual([
      expect.objectContaining({ code: 'CG_ORIGIN_ANY_WITH_CREDENTIALS', line: 1 }),
    ]);
    expect(parseAllowlist('*\n').errors).toEqual([]);
    expect(parseAllowlist('null\n', { dangerouslyAllowNullOrigin: true }).errors).toEqual([]);
  });

  it('refuses plain http and public-suffix wildcards with credentials, suggesting https', () => {
    const r = parseAllowlist('http://a.example.com\nhttps://*.co.uk\nhttp://localhost:*\n', {
      credentials: true,
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: 'CG_ORIGIN_INSECURE_WITH_CREDENTIALS',
        line: 1,
        suggestion: 'did you mean https://a.example.com?',
      }),
      expect.objectContaining({ code: 'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD', line: 2 }),
    ]);
  });

  it('reports every error of the file at once, in line order', () => {
    const r = parseAllowlist('a.com\nhttps://ok.example.com\nhttps://b.com/x\n\nfile:///x\n');
    expect(r.errors.map((e) => [e.line, e.code])).toEqual([
      [1, 'CG_ORIGIN_MISSING_SCHEME'],
      [3, 'CG_ORIGIN_HAS_PATH'],
      [5, 'CG_ORIGIN_FILE_SCHEME'],
    ]);
    expect(r.entries).toEqual([{ origin: 'https://ok.example.com', line: 2 }]);
  });

  it('reports a problem of the rest of the configuration on line 0', () => {
    const r = parseAllowlist('*\n', { privateNetwork: true });
    expect(r.errors).toEqual([
      expect.objectContaining({ code: 'CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN', line: 0 }),
    ]);
  });

  it('formats an issue as FILE:LINE:COL: severity CODE message (suggestion)', () => {
    const [error] = parseAllowlist('\napp.example.com\n').errors;
    expect(formatAllowlistIssue(error!, 'origins.list')).toBe(
      'origins.list:2:1: error CG_ORIGIN_MISSING_SCHEME "app.example.com" has no scheme; browsers send the scheme in Origin (did you mean https://app.example.com?)',
    );
  });
});
