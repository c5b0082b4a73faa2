/**
 * `corsgate export nginx` (docs/nginx.md): the origin expressions decide as the engine does
 * (property-tested against `createPolicy`), and real nginx running the export answers as the
 * gateway would: preflights, refusals, blocks, CORS headers on nginx's own errors.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createPolicy, parseOriginPattern } from 'corsgate';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, rawRequest } from '../../../test/conformance/_raw-http.js';
import { main } from '../src/cli/main.js';
import { patternRegex } from '../src/export/origin-regex.js';
import { runScan } from '../src/scan/run.js';
import { freePort, tempDir, waitForPort } from './helpers.js';
import { NGINX, nginxConf, runExport } from './nginx-export.js';

const ENTRIES = [
  'https://*.example.com',
  'http://*.dev.example.org:8080',
  'https://api.example.net:*',
  'http://*.a.test:*',
];

const label = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
const candidate = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('http', 'https', 'HTTPS', 'ws'),
      fc.array(label, { minLength: 0, maxLength: 3 }),
      fc.constantFrom(
        'example.com',
        'dev.example.org',
        'api.example.net',
        'a.test',
        'example.com.evil',
        'xexample.com',
      ),
      fc.constantFrom('', ':8080', ':443', ':80', ':0', ':08080', ':65535', ':65536', ':', ':*'),
    )
    .map(([scheme, labels, domain, port]) => `${scheme}://${[...labels, domain].join('.')}${port}`),
  fc.string({ maxLength: 40 }),
);

describe('origin expressions', () => {
  it('match an origin exactly when the engine allows it for the same entry', () => {
    for (const entry of ENTRIES) {
      const parsed = parseOriginPattern(entry);
      if (!parsed.ok || parsed.pattern.kind !== 'origin') throw new Error(entry);
      const regex = new RegExp(patternRegex(parsed.pattern));
      const policy = createPolicy({ origins: [entry] });
      fc.assert(
        fc.property(candidate, (origin) => {
          const engine = policy.evaluate({ method: 'GET', origin }).reason === 'origin-allowed';
          expect(regex.test(origin), `${entry} vs ${origin}`).toBe(engine);
        }),
        { numRuns: 3000 },
      );
    }
  });
});

describe('real nginx with the export', () => {
  const tmp = tempDir();
  const upstream = createServer((req, res) => {
    if (req.url === '/api/error') {
      res.statusCode = 500;
      res.end();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('X-App', 'kept');
    res.end(JSON.stringify({ method: req.method, cookie: req.headers.cookie ?? null }));
  });
  let nginx: ChildProcess;
  let base = '';

  beforeAll(async () => {
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const up = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    tmp.file('allowed_origins.list', 'https://app.example.com\nhttps://*.example.org\nhttp://localhost:*\n');
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      env: {},
      cwd: tmp.dir,
    };
    const code = await main(
      [
        'export',
        'nginx',
        '--upstream',
        up,
        '--out',
        '.',
        '--credentials',
        '--methods',
        'PUT',
        '--request-headers',
        'Content-Type,X-Token',
        '--expose-headers',
        'X-App',
        '--max-age',
        '600',
      ],
      io,
    );
    expect(code, out.join('')).toBe(0);
    const port = await freePort();
    tmp.file('nginx.conf', nginxConf(tmp.dir, port));
    nginx = spawn('/usr/sbin/nginx', ['-p', tmp.dir, '-c', `${tmp.dir}/nginx.conf`], { stdio: 'ignore' });
    await waitForPort(port, nginx);
    base = `http://127.0.0.1:${port}`;
  }, 30_000);

  afterAll(async () => {
    if (nginx?.pid !== undefined && nginx.exitCode === null) {
      process.kill(nginx.pid, 'SIGQUIT');
      await once(nginx, 'exit');
    }
    await new Promise<void>((r) => upstream.close(() => r()));
    tmp.remove();
  });

  const send = (path: string, init: RequestInit) => fetch(`${base}${path}`, init);

  it('adds the origin, credentials, exposed headers and Vary to a listed origin, replacing the upstream CORS headers', async () => {
    const res = await send('/api/items', { headers: { Origin: 'https://app.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toBe('X-App');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('refuses an upper-case origin and a listed origin as a prefix of another host', async () => {
    for (const origin of [
      'https://APP.example.com',
      'https://app.example.com.evil.org',
      'https://example.org',
    ]) {
      const res = await send('/api/items', { headers: { Origin: origin } });
      expect(res.status, origin).toBe(200);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('vary')).toBe('Origin');
    }
  });

  it('allows a subdomain of a *. entry and any port of a :* entry', async () => {
    for (const origin of ['https://a.b.example.org', 'http://localhost:5173', 'http://localhost']) {
      const res = await send('/api/items', { headers: { Origin: origin } });
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
    }
  });

  it('answers an allowed preflight itself with the exact headers the engine gives', async () => {
    const headers = {
      Origin: 'https://app.example.com',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'content-type,x-token',
    };
    const res = await send('/api/items', { method: 'OPTIONS', headers });
    const engine = createPolicy({
      origins: ['https://app.example.com'],
      credentials: true,
      methods: ['PUT'],
      requestHeaders: ['Content-Type', 'X-Token'],
      exposeHeaders: ['X-App'],
      maxAge: 600,
    }).evaluate({
      method: 'OPTIONS',
      origin: headers.Origin,
      accessControlRequestMethod: 'PUT',
      accessControlRequestHeaders: headers['Access-Control-Request-Headers'],
    });
    expect(res.status).toBe(engine.status);
    for (const [name, value] of Object.entries(engine.headers))
      expect(res.headers.get(name), name).toBe(value);
    expect(res.headers.get('x-app'), 'never reaches the upstream').toBeNull();
  });

  it('refuses with 403 and no CORS headers a preflight whose method, header or origin is not allowed', async () => {
    const cases = [
      { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'put' },
      {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-other',
      },
      { Origin: 'https://evil.example.com', 'Access-Control-Request-Method': 'PUT' },
    ];
    for (const headers of cases) {
      const res = await send('/api/items', { method: 'OPTIONS', headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('x-app')).toBeNull();
    }
  });

  it('answers a refused origin’s POST 403 before the upstream, and lets its GET through', async () => {
    const post = await send('/api/items', {
      method: 'POST',
      headers: { Origin: 'https://evil.example.com' },
      body: '{}',
    });
    expect(post.status).toBe(403);
    expect(post.headers.get('x-app')).toBeNull();
    const get = await send('/api/items', { headers: { Origin: 'https://evil.example.com' } });
    expect(get.headers.get('x-app')).toBe('kept');
  });

  it('keeps the CORS headers on the upstream’s 500', async () => {
    const res = await send('/api/error', { headers: { Origin: 'https://app.example.com' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('checks Access-Control-Request-Headers (njs, every line) exactly as the engine does, for any list', async () => {
    const engine = createPolicy({
      origins: ['https://app.example.com'],
      credentials: true,
      methods: ['PUT'],
      requestHeaders: ['Content-Type', 'X-Token'],
      exposeHeaders: ['X-App'],
      maxAge: 600,
    });
    const name = fc.constantFrom(
      'content-type',
      'Content-Type',
      'x-token',
      'X-TOKEN',
      'x-other',
      'authorization',
      '',
    );
    const line = fc
      .tuple(
        fc.array(name, { maxLength: 4 }),
        fc.constantFrom(',', ', ', ' ,', ',\t'),
        fc.constantFrom('', ' ', ','),
      )
      .map(([names, sep, tail]) => `${names.join(sep)}${tail}`);
    const lines = fc.oneof(
      fc.array(line, { minLength: 1, maxLength: 3 }),
      fc.constant(['x-a,'.repeat(1100)]),
    );
    const samples = fc.sample(lines, { numRuns: 150, seed: 25 });
    for (let i = 0; i < samples.length; i += 10) {
      await Promise.all(
        samples.slice(i, i + 10).map(async (acrh) => {
          const headers: [string, string][] = [
            ['Origin', 'https://app.example.com'],
            ['Access-Control-Request-Method', 'PUT'],
            ...acrh.map((v): [string, string] => ['Access-Control-Request-Headers', v]),
          ];
          const res = await rawRequest(base, { method: 'OPTIONS', path: '/api/items', headers });
          // Node's parser trims each line, as nginx's does; the engine reads them as the gateway passes them.
          const expected = engine.evaluate({
            method: 'OPTIONS',
            origin: 'https://app.example.com',
            accessControlRequestMethod: 'PUT',
            accessControlRequestHeaders: acrh.length === 1 ? acrh[0]!.trim() : acrh.map((v) => v.trim()),
          });
          const label = JSON.stringify(acrh).slice(0, 120);
          expect(res.status, label).toBe(expected.status);
          expect(headerValues(res, 'access-control-allow-headers'), label).toEqual(
            expected.headers['Access-Control-Allow-Headers'] === undefined
              ? []
              : [expected.headers['Access-Control-Allow-Headers']],
          );
        }),
      );
    }
  });

  it('gives corsgate scan nothing to report, with the exact and the subdomain entries trusted', async () => {
    const report = await runScan({
      url: `${base}/api/items`,
      trusted: ['https://app.example.com', 'https://*.example.org'],
    });
    expect(report.error).toBeUndefined();
    // The trusted origins were allowed, so every check ran: an empty list is a verdict, not a skip.
    expect(report.notes.filter((n) => /not allowed|skipped/.test(n))).toEqual([]);
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([]);
  });

  it('exports without njs only when asked (--dangerously-without-njs), for an nginx without the module', async () => {
    const dir = tempDir();
    dir.file('allowed_origins.list', 'https://app.example.com\n');
    const args = ['--upstream', 'http://127.0.0.1:1', '--allowlist', 'allowed_origins.list'];
    const plain = await runExport([...args, '--dangerously-without-njs'], dir.dir);
    expect(plain.code, plain.output).toBe(0);
    const http = readFileSync(`${dir.dir}/corsgate-http.conf`, 'utf8');
    expect(http).not.toContain('js_');
    const conf = dir.file('nginx.conf', nginxConf(dir.dir, 1).replace(/^load_module .*\n/, ''));
    const checked = spawnSync(NGINX, ['-t', '-q', '-p', dir.dir, '-c', conf], { encoding: 'utf8' });
    expect(checked.status, checked.stderr).toBe(0);
    await runExport(args, dir.dir);
    expect(readFileSync(`${dir.dir}/corsgate-http.conf`, 'utf8')).toContain('js_import corsgate');
    dir.remove();
  });

  it('refuses to export a policy plain nginx cannot decide exactly, writing nothing', async () => {
    const dir = tempDir();
    dir.file('allowed_origins.list', '*\n');
    const err: string[] = [];
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => err.push(s) },
      env: {},
      cwd: dir.dir,
    };
    const code = await main(['export', 'nginx', '--upstream', 'http://127.0.0.1:1', '--out', '.'], io);
    expect(code).toBe(2);
    expect(err.join('')).toContain('CG_EXPORT_ANY_ORIGIN');
    dir.remove();
  });
});
