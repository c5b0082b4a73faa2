/**
 * `corsgate lint`: one row per issue code an allowlist file can produce, checked through
 * `main(argv, io)` in the `FILE:LINE:COL: severity CODE message` format; --strict, --json, --fix
 * on real files in a temp dir; and the built binary.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ISSUE_CODES, type IssueCode } from 'corsgate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture, runBin } from './_helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corsgate-lint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function file(content: string | Uint8Array): Promise<string> {
  const path = join(dir, `list-${n++}.list`);
  await writeFile(path, content);
  return path;
}
async function lint(args: string[], opts: Parameters<typeof capture>[0] = {}) {
  const c = capture({ cwd: dir, ...opts });
  const code = await main(['lint', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

// Each code an allowlist file can produce, with a file that produces it and where.
const ROWS: [IssueCode, string, { credentials?: boolean; at: string }][] = [
  ['CG_ORIGIN_TOO_LONG', `https://${'a'.repeat(3000)}.com\n`, { at: '1:1' }],
  ['CG_ORIGIN_MISSING_SCHEME', '# c\napp.example.com\n', { at: '2:1' }],
  ['CG_ORIGIN_INVALID_SCHEME', '1ttp://a.com\n', { at: '1:1' }],
  ['CG_ORIGIN_FILE_SCHEME', 'file:///x\n', { at: '1:1' }],
  ['CG_ORIGIN_HAS_USERINFO', 'https://u:p@a.com\n', { at: '1:9' }],
  ['CG_ORIGIN_HAS_PATH', '  https://a.com/path\n', { at: '1:16' }],
  ['CG_ORIGIN_INVALID_HOST', 'https://a_b!.com\n', { at: '1:1' }],
  ['CG_ORIGIN_INVALID_PORT', 'https://a.com:99999\n', { at: '1:15' }],
  ['CG_ORIGIN_UNSUPPORTED_PATTERN', 'https://a*.example.com\n', { at: '1:1' }],
  ['CG_ORIGIN_ANY_WITH_CREDENTIALS', '*\n', { credentials: true, at: '1:1' }],
  ['CG_ORIGIN_NULL', 'null\n', { at: '1:1' }],
  ['CG_ORIGIN_INSECURE_WITH_CREDENTIALS', 'http://a.example.com\n', { credentials: true, at: '1:1' }],
  ['CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD', 'https://*.github.io\n', { credentials: true, at: '1:1' }],
  ['CG_ORIGIN_UPPER_CASE', 'HTTPS://a.com\n', { at: '1:1' }],
  ['CG_ORIGIN_TRAILING_SLASH', 'https://a.com/\n', { at: '1:1' }],
  ['CG_ORIGIN_DEFAULT_PORT', 'https://a.com:443\n', { at: '1:1' }],
  ['CG_ORIGIN_UNICODE_HOST', 'https://bücher.de\n', { at: '1:1' }],
  ['CG_ORIGIN_BROAD_WILDCARD', 'https://*.com\n', { at: '1:1' }],
  ['CG_ORIGIN_DUPLICATE', 'https://a.com\nhttps://a.com\n', { at: '2:1' }],
  ['CG_ORIGIN_REDUNDANT', 'https://*.a.com\nhttps://b.a.com\n', { at: '2:1' }],
  ['CG_ALLOWLIST_EMPTY', '# nothing yet\n', { at: '1:1' }],
  ['CG_ALLOWLIST_ANY_ORIGIN', 'https://a.com\n  *\n', { at: '2:3' }],
];
// Codes a file cannot produce: blank lines are skipped (EMPTY), and the file holds only origins,
// so method, header, number and other configuration codes come from config objects only.
const NOT_FROM_A_FILE: readonly IssueCode[] = [
  'CG_CONFIG_TYPE',
  'CG_CONFIG_UNKNOWN_FIELD',
  'CG_ORIGIN_EMPTY',
  'CG_PRIVATE_NETWORK_WITH_ANY_ORIGIN',
  'CG_METHOD_INVALID',
  'CG_METHOD_FORBIDDEN',
  'CG_METHOD_NORMALISED',
  'CG_METHOD_NOT_UPPER_CASE',
  'CG_METHOD_SAFELISTED',
  'CG_METHOD_DUPLICATE',
  'CG_REQUEST_HEADER_INVALID',
  'CG_REQUEST_HEADER_FORBIDDEN',
  'CG_REQUEST_HEADER_CORS_OWNED',
  'CG_REQUEST_HEADER_DUPLICATE',
  'CG_EXPOSE_HEADER_INVALID',
  'CG_EXPOSE_HEADER_FORBIDDEN',
  'CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS',
  'CG_EXPOSE_HEADER_SAFELISTED',
  'CG_EXPOSE_HEADER_DUPLICATE',
  'CG_MAX_AGE_RANGE',
  'CG_PREFLIGHT_STATUS',
  // The configuration's publicOrigins, not a file's line: packages/corsgate/test/engine/public-origins.test.ts.
  'CG_PUBLIC_ORIGIN_INVALID',
  // Codes of sources and writes, not of a file's content: packages/gateway/test/redis-fleet.test.ts,
  // packages/redis/test and packages/corsgate/test/allowlist/store.test.ts prove them.
  'CG_ALLOWLIST_SOURCE_INVALID',
  'CG_ALLOWLIST_UNREACHABLE',
  'CG_ALLOWLIST_CONFLICT',
  // A Redis write caught in a failover: packages/redis/test/failover-*.test.ts prove it.
  'CG_ALLOWLIST_WRITE_UNCONFIRMED',
  'CG_ALLOWLIST_HASH_MISMATCH',
  'CG_ALLOWLIST_CLOSED',
  // A hostile or corrupt Redis record, never a file's: packages/redis/test proves it.
  'CG_ALLOWLIST_RECORD_INVALID',
  // What a source's report says after its 20th error; lint shows every error itself:
  // packages/corsgate/test/allowlist proves it.
  'CG_ALLOWLIST_ERRORS_OMITTED',
  // A Fastify route's setting, not a file's: packages/corsgate/test/adapters/fastify-routes.test.ts.
  'CG_FASTIFY_ROUTE_UNSEEN',
];
// Tested below with their own files (missing, a directory, bad bytes).
const FILE_LEVEL: readonly IssueCode[] = [
  'CG_ALLOWLIST_MISSING',
  'CG_ALLOWLIST_UNREADABLE',
  'CG_ALLOWLIST_INVALID_UTF8',
];

describe('corsgate lint reports every allowlist code', () => {
  it('has a row for every code a file can produce (a new code needs a row)', () => {
    const covered = new Set<string>([...ROWS.map(([c]) => c), ...NOT_FROM_A_FILE, ...FILE_LEVEL]);
    expect(Object.keys(ISSUE_CODES).filter((c) => !covered.has(c))).toEqual([]);
  });

  it.each(ROWS)('reports %s', async (code, content, { credentials, at }) => {
    const path = await file(content);
    const r = await lint([path, ...(credentials === true ? ['--credentials'] : [])]);
    const severity = ISSUE_CODES[code].severity;
    expect(r.out).toContain(`${path}:${at}: ${severity} ${code} `);
    expect(r.code).toBe(severity === 'error' ? 2 : 0);
  });

  it('reports CG_ALLOWLIST_MISSING for a file that does not exist (exit 2)', async () => {
    const r = await lint(['nope.list']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('nope.list: error CG_ALLOWLIST_MISSING the file does not exist\n');
  });
  it('reports CG_ALLOWLIST_UNREADABLE for a directory (exit 2)', async () => {
    await mkdir(join(dir, 'adir'), { recursive: true });
    const r = await lint(['adir']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('adir: error CG_ALLOWLIST_UNREADABLE cannot read the file (EISDIR)');
  });
  it('reports CG_ALLOWLIST_INVALID_UTF8 with the line and column of the bad byte', async () => {
    const path = await file(new Uint8Array([0x23, 0x0a, 0x68, 0x74, 0xff, 0x0a]));
    const r = await lint([path]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${path}:2:3: error CG_ALLOWLIST_INVALID_UTF8 `);
  });
  it('adds the suggestion in parentheses', async () => {
    const path = await file('https://a.com:443\n');
    expect((await lint([path])).out).toBe(
      `${path}:1:1: warning CG_ORIGIN_DEFAULT_PORT :443 is the default port of https: and is never sent; removed (write https://a.com)\n`,
    );
  });
});

describe('corsgate lint exit codes and formats', () => {
  it('exits 0 and prints nothing for a clean file', async () => {
    const path = await file('# partners\nhttps://app.example.com\nhttps://*.example.org\n');
    const r = await lint([path, '--strict']);
    expect(r).toEqual({ code: 0, out: '', err: '' });
  });
  it('exits 0 with warnings, 1 with warnings under --strict, 2 with any error', async () => {
    const warn = await file('https://A.com\n');
    expect((await lint([warn])).code).toBe(0);
    expect((await lint([warn, '--strict'])).code).toBe(1);
    const error = await file('https://a.com\nnull\n');
    expect((await lint([error])).code).toBe(2);
  });
  it('warns that * lets every site read the responses, so --strict fails on it (exit 1)', async () => {
    const path = await file('# public API\n*\n');
    const plain = await lint([path]);
    expect(plain.code).toBe(0);
    expect(plain.out).toBe(
      `${path}:2:1: warning CG_ALLOWLIST_ANY_ORIGIN the list holds *: every site on the web can read the responses; fine only for a public API that needs no credentials and serves nothing private (list the origins that should read it instead)\n`,
    );
    expect((await lint([path, '--strict'])).code).toBe(1);
    // With credentials * is the error CG_ORIGIN_ANY_WITH_CREDENTIALS, not a second warning.
    const creds = await lint([path, '--credentials']);
    expect(creds.code).toBe(2);
    expect(creds.out).not.toContain('CG_ALLOWLIST_ANY_ORIGIN');
  });
  it('prints {file, errors, warnings, fixed} with --json', async () => {
    const path = await file('https://a.com/\nnull\n');
    const r = await lint([path, '--json']);
    expect(r.code).toBe(2);
    const json = JSON.parse(r.out) as {
      file: string;
      errors: { code: string; line: number }[];
      warnings: { code: string }[];
      fixed: boolean;
    };
    expect(json.file).toBe(path);
    expect(json.fixed).toBe(false);
    expect(json.errors.map((e) => [e.code, e.line])).toEqual([['CG_ORIGIN_NULL', 2]]);
    expect(json.warnings.map((w) => w.code)).toEqual(['CG_ORIGIN_TRAILING_SLASH']);
  });
  it('colours lines on a TTY and never under NO_COLOR', async () => {
    const path = await file('https://A.com\n');
    expect((await lint([path], { tty: true })).out).toContain('\x1b[33m');
    expect((await lint([path], { tty: true, env: { NO_COLOR: '1' } })).out).not.toContain('\x1b[');
  });
});

describe('corsgate lint --fix', () => {
  it('rewrites in normalised form keeping comments, blank lines and order (LF, no BOM)', async () => {
    const before =
      '\uFEFF# partners\r\nHTTPS://App.Example.com:443/\r\n\r\n  https://bücher.de  \r\nhttps://app.example.com\r\n# end\r\n';
    const path = await file(before);
    const r = await lint([path, '--fix']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('rewritten in normalised form');
    expect(await readFile(path, 'utf8')).toBe(
      '# partners\nhttps://app.example.com\n\nhttps://xn--bcher-kva.de\n# end\n',
    );
    // A second run has nothing left to fix.
    expect(await lint([path, '--fix', '--strict'])).toEqual({ code: 0, out: '', err: '' });
    // No temp file left behind.
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('never rewrites while an error remains', async () => {
    const before = 'HTTPS://A.com\nnull\n';
    const path = await file(before);
    const r = await lint([path, '--fix']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not fixing');
    expect(await readFile(path, 'utf8')).toBe(before);
  });
});

describe('corsgate lint as a binary', () => {
  it('exits 2, 1 and 0 as documented', async () => {
    const bad = await file('null\n');
    const warn = await file('https://a.com/\n');
    const clean = await file('https://a.com\n');
    const r = await runBin(['lint', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${bad}:1:1: error CG_ORIGIN_NULL`);
    expect((await runBin(['lint', warn, '--strict'])).code).toBe(1);
    expect((await runBin(['lint', clean])).code).toBe(0);
  });
});
