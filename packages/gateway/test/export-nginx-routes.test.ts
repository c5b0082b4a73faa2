/**
 * Routes exported as nginx `location`s (docs/nginx.md "Routes" and "Paths"): for any request
 * target, real nginx running the export picks the route the real gateway picks (or refuses the
 * target as the gateway does), and forwards the same path. Both run the same configuration in
 * front of the same upstream; each policy scope exposes its own header name, so the answer says
 * which one decided.
 */
import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, type RawResponse, rawRequest } from '../../../test/conformance/_raw-http.js';
import { type Gateway, startGateway, tempDir } from './helpers.js';
import { exportAndStart, type RunningNginx, runExport } from './nginx-export.js';

const ORIGIN = 'https://app.example.com';
const CONFIG = {
  allowlist: 'allowed_origins.list',
  publicOrigins: ['http://localhost:5173'],
  policy: { credentials: true, methods: ['PUT'], exposeHeaders: ['X-Scope-Base'] },
  routes: [
    {
      path: '/api/public/*',
      origins: [ORIGIN],
      policy: { credentials: false, exposeHeaders: ['X-Scope-1'] },
    },
    { path: '/api/*', policy: { exposeHeaders: ['X-Scope-2'], maxAge: 60 } },
    { path: '/account', stripCookies: true, policy: { exposeHeaders: ['X-Scope-3'] } },
    { path: '/a.b~c/*', policy: { exposeHeaders: ['X-Scope-4'] } },
  ],
};

/** Pieces of a path: names the routes match in any case, dot segments plain and encoded, escapes. */
const SEGMENT = fc.constantFrom(
  'api',
  'API',
  'Api',
  'public',
  'PUBLIC',
  'account',
  'ACCOUNT',
  'a.b~c',
  'A.B~C',
  'x',
  '',
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '.%2E',
  '..;',
  '.;x',
  'a;b',
  '%2F',
  '%5c',
  '%61pi',
  '%41PI',
  'pub%6cic',
  '%20',
  '%3B',
  '%25',
  '%zz',
  '%0a',
  '%7f',
  '%C3%A9',
  'api%2Fpublic',
);
const TARGET = fc
  .tuple(fc.array(SEGMENT, { minLength: 1, maxLength: 5 }), fc.constantFrom('', '/', '?q=%2F..', '?a'))
  .map(([segments, tail]) => `/${segments.join('/')}${tail}`);

/** nginx answers 400 itself for a path climbing above the root; the gateway stops at the root. */
function climbsAboveRoot(target: string): boolean {
  let depth = 0;
  for (const segment of target.split('?')[0]!.split('/').slice(1)) {
    if (segment === '..') depth--;
    else if (segment !== '.' && segment !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * What decides the comparison: status, the scope, the CORS headers, and the path forwarded. nginx
 * refuses a broken escape (`%zz`) itself while reading the request line, before any header is
 * read, so its 400 carries no CORS headers (docs/nginx.md "Known differences"): there only the
 * status is compared.
 */
function outcome(response: RawResponse) {
  if (response.status === 400 && response.body.includes('<html>')) return { status: 400, nginxOwn: true };
  const forwarded =
    response.status === 200 ? (JSON.parse(response.body) as { url: string; cookie: unknown }) : null;
  return {
    status: response.status,
    scope: headerValues(response, 'access-control-expose-headers'),
    acao: headerValues(response, 'access-control-allow-origin'),
    acac: headerValues(response, 'access-control-allow-credentials'),
    // nginx escapes only what must be escaped; the gateway keeps the client's escapes: the same path.
    path: forwarded === null ? null : decodeURIComponent(forwarded.url),
    cookie: forwarded?.cookie ?? null,
  };
}

describe('routes exported as nginx locations', () => {
  const upstream = createServer((req, res) =>
    res.end(JSON.stringify({ url: req.url, cookie: req.headers.cookie ?? null })),
  );
  const dir = tempDir();
  let gateway: Gateway;
  let nginx: RunningNginx;

  beforeAll(async () => {
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const up = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const files = {
      'allowed_origins.list': `${ORIGIN}\n`,
      'corsgate.yaml': JSON.stringify({ ...CONFIG, upstream: up }),
    };
    for (const [name, text] of Object.entries(files)) dir.file(name, text);
    [gateway, nginx] = await Promise.all([
      startGateway(['--config', 'corsgate.yaml'], { cwd: dir.dir }),
      exportAndStart(['--config', 'corsgate.yaml'], files),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), nginx?.stop()]);
    await new Promise<void>((r) => upstream.close(() => r()));
    dir.remove();
  });

  const both = (target: string, headers: [string, string][]) =>
    Promise.all(
      [gateway.url, nginx.url].map(async (base) =>
        outcome(await rawRequest(base, { method: 'GET', path: target, headers })),
      ),
    );

  it('picks the route the gateway picks, refuses the targets it refuses, and forwards the same path, for any target', async () => {
    const targets = fc.sample(
      TARGET.filter((t) => !climbsAboveRoot(t)),
      { numRuns: 400, seed: 25 },
    );
    const headers: [string, string][] = [
      ['Origin', ORIGIN],
      ['Cookie', 'session=1'],
    ];
    const seen = new Set<string>();
    // Eight at a time: both servers stay busy, the machine is shared.
    for (let i = 0; i < targets.length; i += 8) {
      const batch = targets.slice(i, i + 8);
      const results = await Promise.all(batch.map((t) => both(t, headers)));
      results.forEach(([viaGateway, viaNginx], j) => {
        seen.add(viaGateway.status === 400 ? '400' : String(viaGateway.scope));
        if ('nginxOwn' in viaNginx) expect(viaGateway.status, batch[j]).toBe(400);
        else expect(viaNginx, batch[j]).toEqual(viaGateway);
      });
    }
    // The sample reached every scope and refused targets: the comparison is not vacuous.
    expect([...seen].sort()).toEqual([
      '400',
      'X-Scope-1',
      'X-Scope-2',
      'X-Scope-3',
      'X-Scope-4',
      'X-Scope-Base',
    ]);
  });

  it('strips cookies on the route that asks for it, and only there', async () => {
    const [gw, ngx] = await both('/ACCOUNT/', [['Cookie', 'session=1']]);
    expect(ngx.cookie).toBeNull();
    expect(ngx).toEqual(gw);
    const [, other] = await both('/api/x', [['Cookie', 'session=1']]);
    expect(other.cookie).toBe('session=1');
  });

  it("answers a route's preflight with the route's policy, before the upstream", async () => {
    const preflight = (base: string) =>
      rawRequest(base, {
        method: 'OPTIONS',
        path: '/api/public/items',
        headers: [
          ['Origin', ORIGIN],
          ['Access-Control-Request-Method', 'PUT'],
        ],
      });
    const [gw, ngx] = await Promise.all([preflight(gateway.url), preflight(nginx.url)]);
    expect(ngx.status).toBe(gw.status);
    expect(ngx.status).toBe(204);
    for (const name of [
      'access-control-allow-origin',
      'access-control-allow-credentials',
      'access-control-max-age',
    ])
      expect(headerValues(ngx, name), name).toEqual(headerValues(gw, name));
  });

  it('refuses to export a route nginx would match on a differently decoded path, or escapedPaths: unescape', async () => {
    const refused = tempDir();
    refused.file('allowed_origins.list', `${ORIGIN}\n`);
    refused.file(
      'a.yaml',
      JSON.stringify({
        upstream: 'http://127.0.0.1:1',
        allowlist: 'allowed_origins.list',
        routes: [{ path: '/a%20b/*' }],
      }),
    );
    refused.file(
      'b.yaml',
      JSON.stringify({
        upstream: 'http://127.0.0.1:1',
        allowlist: 'allowed_origins.list',
        escapedPaths: 'unescape',
      }),
    );
    const [a, b] = await Promise.all([
      runExport(['--config', 'a.yaml'], refused.dir),
      runExport(['--config', 'b.yaml'], refused.dir),
    ]);
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(a.output).toContain('CG_EXPORT_ROUTE_PATH');
    expect(b.output).toContain('CG_EXPORT_ESCAPED_PATHS');
    refused.remove();
  });
});
