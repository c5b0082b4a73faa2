/** `corsgate origin` and `corsgate explain` through `main(argv, io)` and the built binary. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startGateway, startUpstream } from '../helpers.js';
import { capture, runBin } from './_helpers.js';

async function run(args: string[], cwd = process.cwd()) {
  const c = capture({ cwd });
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('corsgate origin', () => {
  it('prints the serialized origin and, with --explain, every change', async () => {
    const r = await run(['origin', 'HTTPS://Bücher.Example:443/shop?x#y', '--explain']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'https://xn--bcher-kva.example',
        '  - scheme "HTTPS" is lower-cased to "https"',
        '  - host "Bücher.Example" is an internationalised name, sent as punycode "xn--bcher-kva.example"',
        "  - port 443 is https's default port, so it is left out",
        '  - the path, query and fragment ("/shop?x#y") are not part of an origin',
        '',
      ].join('\n'),
    );
  });
  it.each([
    ['file:///tmp/a.html', 'null'],
    ['data:text/html,x', 'null'],
    ['about:blank', 'null'],
    ['http://[0:0:0:0:0:0:0:1]:8080/', 'http://[::1]:8080'],
    ['http://2130706433/', 'http://127.0.0.1'],
  ])('%s → %s', async (url, origin) => {
    const r = await run(['origin', url]);
    expect(r.out).toBe(`${origin}\n`);
  });
  it('prints null for a sandboxed page and JSON with --json', async () => {
    expect((await run(['origin', 'https://a.example', '--sandboxed'])).out).toBe('null\n');
    const r = await run(['origin', 'https://a.example/', '--json']);
    expect(JSON.parse(r.out)).toEqual({
      url: 'https://a.example/',
      origin: 'https://a.example',
      opaque: false,
      changes: ['an origin has no trailing slash'],
    });
  });
  it('exits 2 for something that is not a URL', async () => {
    const r = await run(['origin', 'app.example.com']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('https://app.example.com');
  });
  it('works as a binary', async () => {
    const r = await runBin(['origin', 'HTTP://Example.com:80/']);
    expect(r).toMatchObject({ code: 0, stdout: 'http://example.com\n' });
  });
});

describe('corsgate explain', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corsgate-explain-'));
    await writeFile(join(dir, 'origins.list'), '# team\nhttps://app.example.com\nhttps://*.example.org\n');
    await writeFile(join(dir, 'bad.list'), 'null\n');
    await writeFile(
      join(dir, 'cors.json'),
      JSON.stringify({
        origins: ['https://app.example.com'],
        credentials: true,
        methods: ['PUT'],
        requestHeaders: ['X-A'],
        maxAge: 600,
      }),
    );
    await writeFile(
      join(dir, 'corsgate.yaml'),
      [
        'upstream: http://127.0.0.1:3000',
        'allowlist: origins.list',
        'policy:',
        '  credentials: true',
        '  methods: [PUT]',
        'routes:',
        '  - path: /public/*',
        '    origins: ["*"]',
        '    policy:',
        '      credentials: false',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'broken.json'), '{"origins": ["*"], "credentials": true}');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('explains an allowed simple request from an allowlist (exit 0)', async () => {
    const r = await run(
      ['explain', '--allowlist', 'origins.list', '--origin', 'https://shop.example.org'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'request: GET from https://shop.example.org (no preflight)',
        'kind: actual',
        'allowed: yes',
        'reason: origin-allowed: The origin is on the allowlist.',
        'response headers:',
        '  Access-Control-Allow-Origin: https://shop.example.org',
        '  Vary: Origin  (appended)',
        '',
      ].join('\n'),
    );
  });
  it('turns a non-safelisted request into the preflight a browser sends', async () => {
    const r = await run(
      [
        'explain',
        '--config',
        'cors.json',
        '--origin',
        'https://app.example.com',
        '--method',
        'put',
        '--header',
        'X-A',
        '--header',
        'Content-Type: text/plain',
        '--json',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.request).toEqual({
      method: 'OPTIONS',
      origin: 'https://app.example.com',
      accessControlRequestMethod: 'PUT',
      accessControlRequestHeaders: 'x-a',
    });
    expect(json.decision).toMatchObject({
      kind: 'preflight',
      allowed: true,
      status: 204,
      reason: 'origin-allowed',
      headers: {
        'Access-Control-Allow-Origin': 'https://app.example.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Max-Age': '600',
      },
    });
  });
  it('explains a refusal with its reason code and detail (exit 1)', async () => {
    const r = await run(
      ['explain', '--config', 'cors.json', '--origin', 'https://app.example.com', '--method', 'DELETE'],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('allowed: no');
    expect(r.out).toContain('status: 403');
    expect(r.out).toContain(
      'reason: method-not-allowed (DELETE): The requested method is not one the policy allows.',
    );
  });
  it('exits 2 with coded lines for an invalid allowlist or config', async () => {
    const a = await run(['explain', '--allowlist', 'bad.list', '--origin', 'https://a.example'], dir);
    expect(a.code).toBe(2);
    expect(a.err).toContain('bad.list:1:1: error CG_ORIGIN_NULL');
    const c = await run(['explain', '--config', 'broken.json', '--origin', 'https://a.example'], dir);
    expect(c.code).toBe(2);
    expect(c.err).toContain('CG_ORIGIN_ANY_WITH_CREDENTIALS');
  });
  it('reads a gateway YAML config through its loader, with the allowlist it names', async () => {
    const r = await run(
      [
        'explain',
        '--config',
        'corsgate.yaml',
        '--origin',
        'https://app.example.com',
        '--method',
        'PUT',
        '--json',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).decision.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'PUT',
    });
  });
  it('picks the route the gateway would use with --path', async () => {
    const r = await run(
      [
        'explain',
        '--config',
        'corsgate.yaml',
        '--path',
        '/public/a',
        '--origin',
        'https://anyone.example',
        '--json',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.err).toContain('route: /public/*');
    expect(JSON.parse(r.out).decision).toMatchObject({
      reason: 'any-origin',
      headers: { 'Access-Control-Allow-Origin': '*' },
    });
  });
  it('exits 2 when neither or both files are given', async () => {
    expect((await run(['explain', '--origin', 'https://a.example'], dir)).code).toBe(2);
    expect(
      (
        await run(
          [
            'explain',
            '--allowlist',
            'origins.list',
            '--config',
            'cors.json',
            '--origin',
            'https://a.example',
          ],
          dir,
        )
      ).code,
    ).toBe(2);
  });
  it("answers the README's example with the policy flags as the gateway given the same flags does", async () => {
    const flags = [
      '--credentials',
      '--methods',
      'PUT,DELETE',
      '--request-headers',
      'X-A',
      '--max-age',
      '600',
    ];
    const r = await run(
      [
        'explain',
        '--allowlist',
        'origins.list',
        '--origin',
        'https://app.example.com',
        '--method',
        'PUT',
        '--header',
        'X-A: 1',
        '--json',
        ...flags,
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const explained = JSON.parse(r.out) as { decision: { status: number; headers: Record<string, string> } };
    const upstream = await startUpstream();
    const gateway = await startGateway(
      ['--upstream', upstream.url, '--allowlist', join(dir, 'origins.list'), ...flags],
      { admin: false },
    );
    try {
      const res = await fetch(`${gateway.url}/echo`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'x-a',
        },
      });
      expect(res.status).toBe(explained.decision.status);
      expect(explained.decision.headers).toEqual({
        'Access-Control-Allow-Origin': 'https://app.example.com',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Allow-Headers': 'x-a',
        'Access-Control-Max-Age': '600',
      });
      for (const [name, value] of Object.entries(explained.decision.headers))
        expect(res.headers.get(name)).toBe(value);
    } finally {
      await gateway.stop();
      await upstream.close();
    }
  });
  it('reads a bad policy flag as serve does: exit 2 with the code at the flag', async () => {
    const r = await run(
      ['explain', '--allowlist', 'origins.list', '--origin', 'https://a.example', '--methods', 'TRACE'],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('--methods: error CG_METHOD_FORBIDDEN');
  });
  it('works as a binary', async () => {
    const r = await runBin([
      'explain',
      '--allowlist',
      join(dir, 'origins.list'),
      '--origin',
      'https://evil.example',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('reason: origin-not-allowed');
  });
});
