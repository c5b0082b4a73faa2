/**
 * The traffic listener, black-box: the real `corsgate serve` process in front of a real upstream
 * on loopback. Raw HTTP/1.1 where header lines matter. Only what the gateway alone does is here
 * (blocking with a JSON answer, forwarding, routes, upstream failures): the CORS behaviour it shares
 * with every adapter is the conformance table's (test/conformance), run against the gateway too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  raw,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  tmp.file('allowed_origins.list', `# test\n${APP}\n`);
  tmp.file(
    'corsgate.yaml',
    [
      `upstream: ${upstream.url}`,
      'allowlist: allowed_origins.list',
      'upstreamTimeoutMs: 400',
      'policy:',
      '  credentials: true',
      '  methods: [PUT, DELETE]',
      '  requestHeaders: [Content-Type, X-Custom]',
      '  exposeHeaders: [X-Request-Id]',
      '  maxAge: 600',
      'routes:',
      '  - path: /public/*',
      "    origins: ['*']",
      '    policy: { credentials: false }',
      '  - path: /api/*',
      '    stripCookies: true',
      '',
    ].join('\n'),
  );
  gateway = await startGateway(['--config', `${tmp.dir}/corsgate.yaml`]);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

/** Requests the upstream received for a path. */
function arrived(path: string): number {
  return upstream.received.filter((r) => r.url.startsWith(path)).length;
}

describe('blocking', () => {
  it('blocks a cross-site POST from a refused origin with 403 JSON before it reaches the upstream', async () => {
    const res = await fetch(`${gateway.url}/blocked-post`, {
      method: 'POST',
      headers: { Origin: EVIL },
      body: 'transfer=1000',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ error: 'cross-origin request refused', reason: 'origin-not-allowed' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(arrived('/blocked-post')).toBe(0);
  });

  it.each(['PUT', 'DELETE', 'PATCH'])(
    'blocks a refused origin’s %s before it reaches the upstream',
    async (method) => {
      const res = await fetch(`${gateway.url}/blocked-${method}`, { method, headers: { Origin: EVIL } });
      expect(res.status).toBe(403);
      expect(arrived(`/blocked-${method}`)).toBe(0);
    },
  );

  it('blocks a POST carrying two Origin lines', async () => {
    const res = await raw(
      gateway.port,
      `POST /two-origins-post HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nOrigin: ${EVIL}\nContent-Length: 0\nConnection: close\n\n`,
    );
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: 'cross-origin request refused',
      reason: 'origin-multiple',
    });
    expect(arrived('/two-origins-post')).toBe(0);
  });
});

describe('CORS headers on forwarded responses', () => {
  it('forwards a POST without Origin (not CORS) untouched', async () => {
    const res = await fetch(`${gateway.url}/no-origin`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { bodyBytes: number }).bodyBytes).toBe(5);
  });

  it('replaces the upstream’s own Access-Control-* headers instead of duplicating them', async () => {
    const res = await raw(
      gateway.port,
      `GET /cors HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(res.status).toBe(200);
    expect(res.all('access-control-allow-origin')).toEqual([APP]);
    expect(res.all('access-control-allow-credentials')).toEqual(['true']);
    expect(res.all('access-control-expose-headers')).toEqual(['X-Request-Id']);
    expect(res.all('access-control-max-age')).toEqual([]);
  });

  it('removes the upstream’s CORS headers for a refused origin too', async () => {
    const res = await raw(
      gateway.port,
      `GET /cors HTTP/1.1\nHost: api.test\nOrigin: ${EVIL}\nConnection: close\n\n`,
    );
    expect(res.lines.filter(([n]) => n.startsWith('access-control-'))).toEqual([]);
  });

  it('appends Origin to the upstream’s Vary without duplicating a token it already has', async () => {
    const res = await raw(
      gateway.port,
      `GET /cors HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(res.all('vary')).toEqual(['Accept-Encoding, origin']);
    const echo = await raw(
      gateway.port,
      `GET /echo HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(echo.all('vary')).toEqual(['Origin']);
  });

  it('leaves Vary: * alone', async () => {
    const res = await raw(
      gateway.port,
      `GET /vary-star HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(res.all('vary')).toEqual(['*']);
  });

  it('uses a route’s own policy: /public/* answers any origin with * and no credentials', async () => {
    const res = await fetch(`${gateway.url}/public/status`, { headers: { Origin: EVIL } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('forwarding', () => {
  it('adds X-Forwarded-For, -Proto and -Host, appending to an incoming X-Forwarded-For', async () => {
    await raw(
      gateway.port,
      `GET /xff HTTP/1.1\nHost: front.test:8443\nX-Forwarded-For: 203.0.113.7\nX-Forwarded-Proto: https\nX-Forwarded-Host: spoof.test\nConnection: close\n\n`,
    );
    const r = upstream.received.find((x) => x.url === '/xff')!;
    expect(r.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(r.headers['x-forwarded-proto']).toBe('http');
    expect(r.headers['x-forwarded-host']).toBe('front.test:8443');
    expect(r.headers.host).toBe(`127.0.0.1:${upstream.port}`);
  });

  it('removes hop-by-hop request headers, including the names Connection lists', async () => {
    await raw(
      gateway.port,
      `GET /hop-req HTTP/1.1\nHost: api.test\nConnection: close, X-Drop-Me\nX-Drop-Me: 1\nKeep-Alive: timeout=9\nTE: trailers\nUpgrade: websocket\nProxy-Authorization: Basic abc\nProxy-Connection: keep-alive\nX-Keep-Me: 1\n\n`,
    );
    const r = upstream.received.find((x) => x.url === '/hop-req')!;
    const names = r.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const n of ['x-drop-me', 'keep-alive', 'te', 'upgrade', 'proxy-authorization', 'proxy-connection'])
      expect(names).not.toContain(n);
    expect(r.headers['x-keep-me']).toBe('1');
  });

  it('removes hop-by-hop response headers, including the names the upstream’s Connection lists', async () => {
    const res = await raw(gateway.port, `GET /hop HTTP/1.1\nHost: api.test\nConnection: close\n\n`);
    expect(res.status).toBe(200);
    expect(res.header('x-private')).toBeUndefined();
    expect(res.header('proxy-authenticate')).toBeUndefined();
    expect(res.header('keep-alive')).toBeUndefined();
  });

  it('relays each repeated response line and joins the upstream’s Vary lines before appending Origin', async () => {
    const res = await raw(
      gateway.port,
      `GET /repeated HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(res.status).toBe(200);
    expect(res.all('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.all('vary')).toEqual(['Accept, Accept-Language, Origin']);
    expect(res.all('access-control-allow-origin')).toEqual([APP]);
  });

  it('strips Cookie on a stripCookies route and keeps it elsewhere', async () => {
    await fetch(`${gateway.url}/api/with-cookie`, { headers: { Origin: APP, Cookie: 'session=s3cr3t' } });
    await fetch(`${gateway.url}/other/with-cookie`, { headers: { Origin: APP, Cookie: 'session=s3cr3t' } });
    expect(upstream.received.find((x) => x.url === '/api/with-cookie')!.headers.cookie).toBeUndefined();
    expect(upstream.received.find((x) => x.url === '/other/with-cookie')!.headers.cookie).toBe(
      'session=s3cr3t',
    );
  });

  it('resolves dot segments before matching routes and forwards the resolved path', async () => {
    await raw(
      gateway.port,
      `GET /public/../api/dots HTTP/1.1\nHost: api.test\nCookie: s=1\nConnection: close\n\n`,
    );
    const r = upstream.received.find((x) => x.url === '/api/dots')!;
    expect(r.headers.cookie).toBeUndefined();
  });

  it('refuses an encoded path that could escape a stripCookies route with 400, never forwarding it', async () => {
    const enc1 = await raw(
      gateway.port,
      `GET /public/%2e%2e/api/enc1 HTTP/1.1\nHost: api.test\nCookie: s=1\nConnection: close\n\n`,
    );
    const enc2 = await raw(
      gateway.port,
      `GET /api%2Fenc2 HTTP/1.1\nHost: api.test\nCookie: s=1\nConnection: close\n\n`,
    );
    expect([enc1.status, JSON.parse(enc1.body).reason]).toEqual([400, 'target-escaped-dot-segment']);
    expect([enc2.status, JSON.parse(enc2.body).reason]).toEqual([400, 'target-escaped-separator']);
    expect(upstream.received.filter((x) => x.url.includes('enc'))).toEqual([]);
  });

  it('forwards an absolute-form request target as its path', async () => {
    await raw(
      gateway.port,
      `GET http://api.test/absolute?x=1 HTTP/1.1\nHost: api.test\nConnection: close\n\n`,
    );
    expect(upstream.received.some((x) => x.url === '/absolute?x=1')).toBe(true);
  });

  it('keeps the query exactly and forwards the normalised path (unreserved escapes decoded, RFC 3986 §6.2.2.2)', async () => {
    await fetch(`${gateway.url}/path/%7Ea%20b?q=1&r=%20%2F`);
    expect(upstream.received.some((x) => x.url === '/path/~a%20b?q=1&r=%20%2F')).toBe(true);
  });
});

describe('upstream failures', () => {
  it('answers 504 with JSON and the allowed origin’s CORS headers when the upstream does not answer in time', async () => {
    const res = await fetch(`${gateway.url}/hang`, { headers: { Origin: APP } });
    expect(res.status).toBe(504);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(await res.json()).toEqual({ error: 'upstream timed out', code: 'UND_ERR_HEADERS_TIMEOUT' });
  });

  it('cancels the upstream request when the client aborts', async () => {
    const before = upstream.cancelled.filter((p) => p === '/slow').length;
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/slow?ms=5000`, {
      headers: { Origin: APP },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await waitFor(
      () => upstream.received.some((r) => r.url === '/slow?ms=5000'),
      3000,
      'the request to reach the upstream',
    );
    controller.abort();
    await pending;
    await waitFor(
      () => upstream.cancelled.filter((p) => p === '/slow').length > before,
      3000,
      'the upstream request to be cancelled',
    );
  });
});

describe('upstream down', () => {
  it('answers 502 with JSON and CORS headers when the upstream refuses the connection', async () => {
    const dead = await startUpstream();
    await dead.close();
    const t = tempDir();
    try {
      t.file('list', `${APP}\n`);
      const gw = await startGateway(
        ['--upstream', dead.url, '--allowlist', `${t.dir}/list`, '--credentials'],
        { admin: false },
      );
      try {
        const res = await fetch(`${gw.url}/x`, { headers: { Origin: APP } });
        expect(res.status).toBe(502);
        expect(res.headers.get('access-control-allow-origin')).toBe(APP);
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        expect(await res.json()).toEqual({ error: 'upstream unavailable', code: 'ECONNREFUSED' });
        const refused = await fetch(`${gw.url}/x`, { headers: { Origin: EVIL } });
        expect(refused.status).toBe(502);
        expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await gw.stop();
      }
    } finally {
      t.remove();
    }
  });
});
