/**
 * `corsgate check` against real servers on 127.0.0.1: deliberately broken node:http servers, one
 * per server mistake (each must be named in the output), and correct servers built on the
 * corsgate engine. Driven through `main(argv, io)`, `checkRequest`, and the built binary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckTrace, checkRequest } from '../../src/check/check-request.js';
import { main } from '../../src/cli/main.js';
import { capture, engineServer, runBin, serve, type TestServer } from './_helpers.js';

const APP = 'https://app.example';

async function check(args: string[], opts: Parameters<typeof capture>[0] = {}) {
  const c = capture(opts);
  const code = await main(['check', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('check against servers built on the corsgate engine', () => {
  let api: TestServer;
  let creds: TestServer;
  beforeAll(async () => {
    api = await engineServer({
      origins: [APP],
      methods: ['PUT', 'DELETE'],
      requestHeaders: ['Content-Type', 'X-A'],
      exposeHeaders: ['X-Request-Id'],
      maxAge: 86_400,
    });
    creds = await engineServer({
      origins: [APP],
      credentials: true,
      methods: ['PUT'],
      requestHeaders: ['Authorization'],
    });
  });
  afterAll(async () => {
    await api.close();
    await creds.close();
  });

  it('allows a simple GET from an allowed origin and lists the readable headers (exit 0)', async () => {
    const r = await check([api.url, '--origin', APP]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no preflight');
    expect(r.out).toContain(
      'the script can read: content-length, content-type, x-request-id (never Set-Cookie, R23)',
    );
    expect(r.out).toContain('verdict: allowed');
    expect(r.out).not.toContain('server mistakes');
  });

  it('sends the preflight exactly as a browser does and allows a listed PUT', async () => {
    const before = api.seen.length;
    const trace = await checkRequest({
      url: api.url,
      origin: APP,
      method: 'put',
      headers: [
        ['X-A', '1'],
        ['Content-Type', 'application/json'],
        ['Accept', 'application/json'],
      ],
    });
    expect(trace.verdict).toBe('allowed');
    const [preflight, actual] = api.seen.slice(before);
    expect(preflight?.method).toBe('OPTIONS');
    // R9: Host, Accept */*, ACRM, ACRH (lower case, sorted, no space), Origin; no cookies.
    expect(preflight?.rawHeaders).toEqual([
      'Host',
      api.origin.slice('http://'.length),
      'Accept',
      '*/*',
      'Access-Control-Request-Method',
      'PUT',
      'Access-Control-Request-Headers',
      'content-type,x-a',
      'Origin',
      APP,
      'Connection',
      'close',
    ]);
    expect(actual?.method).toBe('PUT');
    expect(trace.preflight.requestHeaders).toBe('content-type,x-a');
    // R21: the engine sends 86400; Chromium caps at 7200.
    expect(trace.preflight.cacheSeconds).toBe(7200);
    expect(trace.readableHeaders).toEqual(['content-length', 'content-type', 'x-request-id']);
  });

  it('applies each browser cap to the same max-age', async () => {
    const firefox = await checkRequest({ url: api.url, origin: APP, method: 'DELETE', browser: 'firefox' });
    const safari = await checkRequest({ url: api.url, origin: APP, method: 'DELETE', browser: 'safari' });
    expect(firefox.preflight.cacheSeconds).toBe(86_400);
    expect(safari.preflight.cacheSeconds).toBe(600);
  });

  it('blocks an unlisted method and names the header, its value and the fix (exit 1)', async () => {
    const r = await check([api.url, '--origin', APP, '--method', 'PATCH']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('verdict: blocked');
    // The engine refuses the preflight with 403 and no CORS headers.
    expect(r.out).toContain('header: Access-Control-Allow-Origin: (absent)');
    expect(r.out).toContain('the preflight was answered 403');
    // corsgate's refusal carries Vary: Origin: a CORS decision, not an auth layer.
    expect(r.out).not.toContain('preflight-auth');
  });

  it('blocks an origin that is not allowed (exit 1)', async () => {
    const r = await check([api.url, '--origin', 'https://evil.example']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('the response has no Access-Control-Allow-Origin header');
  });

  it('allows a credentialed PUT with Authorization listed explicitly', async () => {
    const trace = await checkRequest({
      url: creds.url,
      origin: APP,
      method: 'PUT',
      headers: [['Authorization', 'Bearer x']],
      credentials: true,
    });
    expect(trace.verdict).toBe('allowed');
    expect(trace.steps.filter((s) => s.status === 'warn')).toEqual([]);
  });

  it('treats a same-origin request as outside CORS', async () => {
    const r = await check([api.url, '--origin', api.origin]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('same-origin');
  });

  it('prints the whole trace as JSON with --json', async () => {
    const r = await check([api.url, '--origin', APP, '--method', 'PUT', '--header', 'X-A: 1', '--json']);
    expect(r.code).toBe(0);
    const trace = JSON.parse(r.out) as CheckTrace;
    expect(Object.keys(trace).sort()).toEqual(
      [
        'actual',
        'input',
        'mistakes',
        'preflight',
        'readableHeaders',
        'sameOrigin',
        'steps',
        'verdict',
      ].sort(),
    );
    expect(trace.input).toEqual({
      url: api.url,
      origin: APP,
      method: 'PUT',
      headers: [['X-A', '1']],
      credentials: false,
      browser: 'chromium',
    });
    expect(trace.preflight.exchange?.response?.status).toBe(204);
    expect(trace.preflight.exchange?.response?.headers).toContainEqual([
      'Access-Control-Allow-Methods',
      'PUT',
    ]);
    expect(trace.actual?.response?.status).toBe(200);
    expect(trace.steps.map((s) => s.status)).not.toContain('fail');
  });
});

describe('check names each server mistake', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const start = async (h: Parameters<typeof serve>[0]) => {
    const s = await serve(h);
    servers.push(s);
    return s;
  };

  it('flags a reflected origin without Vary: Origin (vary-missing) while allowing the request', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '');
      res.end('x');
    });
    const r = await check([s.url, '--origin', APP]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('vary-missing');
    expect(r.out).toContain(
      'the CORS headers differ when the same request is sent with Origin https://vary-probe.corsgate.invalid (Access-Control-Allow-Origin: https://vary-probe.corsgate.invalid)',
    );
  });

  it('detects origin-dependence by probing without Origin (vary-missing)', async () => {
    // `*` only when Origin is present: a cache can replay the no-ACAO answer to a CORS request.
    const s = await start((req, res) => {
      if (req.headers.origin !== undefined) res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('x');
    });
    const before = s.seen.length;
    const trace = await checkRequest({ url: s.url, origin: APP });
    expect(trace.verdict).toBe('allowed');
    expect(trace.mistakes.map((m) => m.code)).toEqual(['vary-missing']);
    expect(trace.mistakes[0]?.message).toContain('sent without Origin');
    // The actual request, the probe with another origin (same answer), then the one without Origin.
    expect(s.seen.length - before).toBe(3);
  });

  it('does not flag Vary when the answer is the same for every origin', async () => {
    const s = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('x');
    });
    const trace = await checkRequest({ url: s.url, origin: APP });
    expect(trace.mistakes).toEqual([]);
  });

  it('never re-sends a POST, and then takes an echoed origin as the evidence', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '');
      res.end('x');
    });
    const before = s.seen.length;
    const trace = await checkRequest({ url: s.url, origin: APP, method: 'POST' });
    expect(s.seen.length - before).toBe(1);
    expect(trace.mistakes.map((m) => m.code)).toEqual(['vary-missing']);
    expect(trace.mistakes[0]?.message).toContain('not re-sent to confirm');
  });

  it('does not flag a static single-origin ACAO, which needs no Vary (R24)', async () => {
    const s = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', APP);
      res.end('x');
    });
    const trace = await checkRequest({ url: s.url, origin: APP });
    expect(trace.verdict).toBe('allowed');
    expect(trace.mistakes).toEqual([]);
  });

  it('flags two ACAO lines (acao-duplicate) and blocks', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', [req.headers.origin ?? '', req.headers.origin ?? '']);
      res.setHeader('Vary', 'Origin');
      res.end('x');
    });
    const r = await check([s.url, '--origin', APP]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('acao-duplicate');
    expect(r.out).toContain('header: Access-Control-Allow-Origin: https://app.example, https://app.example');
  });

  it('flags an ACAO with a trailing slash (acao-trailing-slash) and says the fix', async () => {
    const s = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', `${APP}/`);
      res.end('x');
    });
    const r = await check([s.url, '--origin', APP]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('acao-trailing-slash');
    expect(r.out).toContain(`fix: remove the trailing slash: Access-Control-Allow-Origin: ${APP}`);
  });

  it('flags a preflight rejected 401 by an auth layer (preflight-auth)', async () => {
    const s = await start((req, res) => {
      if (req.headers.authorization === undefined) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="api"' });
        res.end();
        return;
      }
      res.end('x');
    });
    const r = await check([s.url, '--origin', APP, '--method', 'DELETE']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('preflight-auth');
    expect(r.out).toContain('WWW-Authenticate: Bearer realm="api"');
    expect(r.out).toContain('browsers never send credentials on a preflight');
  });

  it('flags a preflight answered 403 without CORS headers (preflight-auth)', async () => {
    const s = await start((_req, res) => {
      res.writeHead(403);
      res.end();
    });
    const trace = await checkRequest({ url: s.url, origin: APP, method: 'PUT' });
    expect(trace.verdict).toBe('blocked');
    expect(trace.mistakes.map((m) => m.code)).toContain('preflight-auth');
  });

  it('flags a preflight that redirects (preflight-redirect) and never follows it', async () => {
    const s = await start((req, res) => {
      if (req.url === '/api/items') {
        res.writeHead(301, {
          Location: '/api/items/',
          'Access-Control-Allow-Origin': req.headers.origin ?? '',
          'Access-Control-Allow-Methods': 'PUT',
        });
        res.end();
        return;
      }
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'PUT' });
      res.end();
    });
    const before = s.seen.length;
    const r = await check([s.url, '--origin', APP, '--method', 'PUT']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('preflight-redirect');
    expect(r.out).toContain('browsers never follow a redirect on a preflight');
    expect(s.seen.length - before).toBe(1);
  });

  it('flags ACAC with ACAO * (wildcard-with-credentials): passes without credentials, blocks with them', async () => {
    const s = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.end('x');
    });
    const anonymous = await check([s.url, '--origin', APP]);
    expect(anonymous.code).toBe(0);
    expect(anonymous.out).toContain('wildcard-with-credentials');
    const credentialed = await check([s.url, '--origin', APP, '--credentials']);
    expect(credentialed.code).toBe(1);
    expect(credentialed.out).toContain('wildcard-with-credentials');
    expect(credentialed.out).toContain('which a browser does not accept for a request with credentials');
  });

  it('blocks ACAC "True" on a credentialed request, naming the value', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '');
      res.setHeader('Access-Control-Allow-Credentials', 'True');
      res.setHeader('Vary', 'Origin');
      res.end('x');
    });
    const r = await check([s.url, '--origin', APP, '--credentials']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('header: Access-Control-Allow-Credentials: True');
  });

  it('warns that ACAH * covers Authorization only in today’s browsers (whatwg/fetch#1919)', async () => {
    const s = await start((req, res) => {
      res.writeHead(req.method === 'OPTIONS' ? 204 : 200, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': '*',
        'Access-Control-Allow-Headers': '*',
      });
      res.end();
    });
    const r = await check([s.url, '--origin', APP, '--method', 'PUT', '-H', 'Authorization: Bearer t']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('whatwg/fetch#1919');
    expect(r.out).toContain('fix: add Authorization to Access-Control-Allow-Headers');
  });
});

describe('check follows redirects of the actual request as a browser does (R11, R25, R26)', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const start = async (h: Parameters<typeof serve>[0]) => {
    const s = await serve(h);
    servers.push(s);
    return s;
  };

  it('keeps the page origin across a same-origin redirect', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '');
      res.setHeader('Vary', 'Origin');
      if (req.url === '/api/items') {
        res.writeHead(307, { Location: '/api/v2/items' });
        res.end();
        return;
      }
      res.end('ok');
    });
    const trace = await checkRequest({ url: s.url, origin: APP });
    expect(trace.verdict).toBe('allowed');
    expect(trace.actual?.response?.status).toBe(307);
    expect(trace.redirects).toHaveLength(1);
    expect(trace.redirects?.[0]).toMatchObject({
      url: `${s.origin}/api/v2/items`,
      origin: APP,
      method: 'GET',
    });
    expect(trace.redirects?.[0]?.actual?.response?.status).toBe(200);
  });

  it('blocks a redirect whose 3xx lacks CORS headers, without following it', async () => {
    const s = await start((req, res) => {
      if (req.url === '/api/items') {
        res.writeHead(302, { Location: '/elsewhere' });
        res.end();
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('ok');
    });
    const before = s.seen.length;
    const trace = await checkRequest({ url: s.url, origin: APP, probeVary: false });
    expect(trace.verdict).toBe('blocked');
    expect(s.seen.length - before).toBe(1);
    expect(trace.steps.find((x) => x.status === 'fail')?.header).toBe('Access-Control-Allow-Origin');
  });

  it('sends Origin: null after a cross-origin redirect, so only ACAO null or * passes', async () => {
    const star = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end('ok');
    });
    const strict = await start((_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', APP);
      res.end('ok');
    });
    const hop = (target: string) =>
      start((_req, res) => {
        res.writeHead(302, { Location: target, 'Access-Control-Allow-Origin': '*' });
        res.end();
      });
    const toStrict = await hop(`${strict.origin}/x`);
    const blocked = await checkRequest({ url: toStrict.url, origin: APP, probeVary: false });
    expect(blocked.verdict).toBe('blocked');
    expect(blocked.redirects?.[0]?.origin).toBe('null');
    const sent = strict.seen.at(-1)?.rawHeaders ?? [];
    expect(sent[sent.indexOf('Origin') + 1]).toBe('null');
    expect(blocked.steps.find((x) => x.status === 'fail')?.message).toContain(
      'which is not byte-for-byte the request origin "null"',
    );

    const toStar = await hop(`${star.origin}/x`);
    const allowed = await checkRequest({ url: toStar.url, origin: APP, probeVary: false });
    expect(allowed.verdict).toBe('allowed');
    expect(
      allowed.steps.some((x) => x.rule === 'R26' && x.message.includes('the Origin becomes "null"')),
    ).toBe(true);
  });

  it('turns a POST into a GET on 303 and drops the body headers', async () => {
    const s = await start((req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (req.url === '/api/items') {
        res.writeHead(303, { Location: '/api/result' });
        res.end();
        return;
      }
      res.end('ok');
    });
    const trace = await checkRequest({
      url: s.url,
      origin: APP,
      method: 'POST',
      headers: [['Content-Type', 'text/plain']],
    });
    expect(trace.verdict).toBe('allowed');
    expect(trace.redirects?.[0]?.method).toBe('GET');
    expect(s.seen.at(-1)?.method).toBe('GET');
    expect(s.seen.at(-1)?.rawHeaders).not.toContain('Content-Type');
  });

  it('gives up after 20 redirects', async () => {
    const s = await start((req, res) => {
      const n = Number(req.url?.slice(1) ?? '0') || 0;
      res.writeHead(302, { Location: `/${n + 1}`, 'Access-Control-Allow-Origin': '*' });
      res.end();
    });
    const trace = await checkRequest({ url: `${s.origin}/0`, origin: APP, probeVary: false });
    expect(trace.verdict).toBe('blocked');
    expect(trace.redirects).toHaveLength(20);
    expect(trace.steps.at(-1)?.message).toBe('more than 20 redirects');
  });
});

describe('check text output', () => {
  it('prints every step, the failing header with its value, the fix and the verdict', async () => {
    const s = await serve((req, res) => {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': req.headers.origin ?? '',
        'Access-Control-Allow-Methods': 'put',
        Vary: 'Origin',
      });
      res.end();
    });
    const r = await check([s.url, '--origin', APP, '--method', 'put', '-H', 'X-A: 1']);
    await s.close();
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      [
        `PUT ${s.url} from ${APP} (chromium)`,
        '',
        'input:',
        '  · the browser upper-cases "put" to PUT [R7]',
        '',
        'preflight (OPTIONS → 204):',
        '  · a preflight is needed: method PUT is not GET, HEAD or POST; header X-A is not CORS-safelisted: only Accept, Accept-Language, Content-Language, Content-Type and Range can be [R3]',
        '    > Accept: */*',
        '    > Access-Control-Request-Method: PUT',
        '    > Access-Control-Request-Headers: x-a',
        `    > Origin: ${APP}`,
        '  ✓ Access-Control-Allow-Origin matches the origin exactly [R14]',
        '  ✓ status 204 is an ok status (200-299) [R14]',
        '  ✗ Access-Control-Allow-Methods is "put", which does not list PUT (it lists "put", but methods are compared case-sensitively, R16) [R16]',
        '      header: Access-Control-Allow-Methods: put',
        '      fix: add PUT to Access-Control-Allow-Methods',
        '',
        'verdict: blocked — the browser reports a CORS error (a network error to the script)',
        '',
      ].join('\n'),
    );
  });
});

describe('check input errors and colour', () => {
  it('exits 2 on a malformed origin and suggests corsgate origin', async () => {
    const r = await check(['http://127.0.0.1:9/', '--origin', 'https://App.example/']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('corsgate origin https://App.example/');
  });
  it('exits 2 without --origin, on a forbidden method, and on an unknown browser', async () => {
    expect((await check(['http://127.0.0.1:9/'])).code).toBe(2);
    expect((await check(['http://127.0.0.1:9/', '--origin', APP, '--method', 'TRACE'])).code).toBe(2);
    expect((await check(['http://127.0.0.1:9/', '--origin', APP, '--browser', 'lynx'])).code).toBe(2);
  });
  it('exits 2 when the server is unreachable', async () => {
    const s = await serve((_q, r) => r.end());
    const url = s.url;
    await s.close();
    const r = await check([url, '--origin', APP]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('did not answer: ECONNREFUSED');
  });
  it('drops a forbidden request header as a browser silently does', async () => {
    const s = await serve((_q, r) => {
      r.setHeader('Access-Control-Allow-Origin', '*');
      r.end();
    });
    const trace = await checkRequest({ url: s.url, origin: APP, headers: [['Cookie', 'a=b']] });
    await s.close();
    expect(trace.preflight.needed).toBe(false);
    expect(s.seen.at(-1)?.rawHeaders).not.toContain('Cookie');
    expect(trace.steps[0]).toMatchObject({ status: 'warn', rule: 'R6' });
  });
  it('counts the default Accept: */* toward the 1024-byte total, as fetch() appends it first', async () => {
    const s = await serve((_q, r) => {
      r.setHeader('Access-Control-Allow-Origin', '*');
      r.end();
    });
    // 7 × 128 + 126 = 1022 bytes of safelisted values; with Accept: */* (3 bytes) that is 1025.
    const languages: [string, string][] = [
      ...Array.from({ length: 7 }, () => ['Content-Language', 'a'.repeat(128)] as [string, string]),
      ['Content-Language', 'a'.repeat(126)],
    ];
    const withDefault = await checkRequest({ url: s.url, origin: APP, headers: languages, probeVary: false });
    const withOwnAccept = await checkRequest({
      url: s.url,
      origin: APP,
      headers: [...languages, ['Accept', 'x']],
      probeVary: false,
    });
    await s.close();
    expect(withDefault.preflight.needed).toBe(true);
    expect(withDefault.preflight.requestHeaders).toBe('accept,content-language');
    expect(withOwnAccept.preflight.needed).toBe(false);
  });
  it('colours output on a TTY and never under NO_COLOR', async () => {
    const s = await serve((_q, r) => {
      r.setHeader('Access-Control-Allow-Origin', '*');
      r.end();
    });
    const tty = await check([s.url, '--origin', APP], { tty: true });
    const noColour = await check([s.url, '--origin', APP], { tty: true, env: { NO_COLOR: '1' } });
    const pipe = await check([s.url, '--origin', APP], { tty: false });
    await s.close();
    expect(tty.out).toContain('\x1b[32m');
    expect(noColour.out).not.toContain('\x1b[');
    expect(pipe.out).not.toContain('\x1b[');
  });
});

describe('the built corsgate binary', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await engineServer({ origins: [APP], methods: ['PUT'] });
  });
  afterAll(async () => {
    await api.close();
  });
  it('exits 0 when a browser would allow the request', async () => {
    const r = await runBin(['check', api.url, '--origin', APP, '--method', 'PUT']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('verdict: allowed');
    expect(r.stdout).not.toContain('\x1b[');
  });
  it('exits 1 when a browser would block it', async () => {
    const r = await runBin(['check', api.url, '--origin', 'https://evil.example']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('verdict: blocked');
  });
  it('exits 2 on bad input, and prints a parseable trace with --json', async () => {
    expect((await runBin(['check', api.url])).code).toBe(2);
    const r = await runBin(['check', api.url, '--origin', APP, '--json'], { NO_COLOR: '1' });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as CheckTrace).verdict).toBe('allowed');
  });
});
