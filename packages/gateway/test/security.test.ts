/**
 * The gateway against a hostile client (docs/gateway.md "Security model"): raw HTTP/1.1 from a
 * script, the real `corsgate serve` process, and real Express and Fastify upstreams behind it,
 * because whether an encoded path escapes a route depends on how the upstream routes it.
 */
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server,
  type Socket,
} from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FrameworkUpstream, startExpress, startFastify } from './frameworks.js';
import {
  freePort,
  type Gateway,
  gatewayForDescribe,
  raw,
  startGateway,
  type TempDir,
  tempDir,
  waitFor,
} from './helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** A cross-site form POST with the victim's session cookie. */
function post(path: string, extra = ''): string {
  return `POST ${path} HTTP/1.1\nHost: api.test\nOrigin: ${EVIL}\nCookie: session=victim\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 3\n${extra}Connection: close\n\na=1`;
}

const ROUTES_YAML = [
  'policy:',
  '  credentials: true',
  'routes:',
  '  - path: /public/*',
  "    origins: ['*']",
  '    policy: { credentials: false }',
  '  - path: /api/*',
  '    stripCookies: true',
];

for (const start of [startExpress, startFastify]) {
  describe.concurrent(`routes cannot be escaped, with a real ${start === startExpress ? 'Express' : 'Fastify'} upstream`, () => {
    let upstream: FrameworkUpstream;
    let gateway: Gateway;
    let tmp: TempDir;

    beforeAll(async () => {
      upstream = await start();
      tmp = tempDir();
      tmp.file('allowed_origins.list', `${APP}\n`);
      tmp.file(
        'corsgate.yaml',
        [`upstream: ${upstream.url}`, 'allowlist: allowed_origins.list', ...ROUTES_YAML, ''].join('\n'),
      );
      gateway = await startGateway(['--config', `${tmp.dir}/corsgate.yaml`], { admin: false });
    });
    afterAll(async () => {
      await gateway?.stop();
      await upstream?.close();
      tmp?.remove();
    });

    it.sequential.each([
      ['/api/items/7%2f..%2f..%2f..%2fpublic/delete', 'target-escaped-separator'],
      ['/api/items/7%2F..%2F..%2F..%2Fpublic/delete', 'target-escaped-separator'],
      ['/api/items/7%5c..%5c..%5c..%5cpublic/delete', 'target-escaped-separator'],
      ['/api/items/7/%2e%2e%2f%2e%2e%2f%2e%2e%2fpublic/delete', 'target-escaped-separator'],
      ['/api/..%2fpublic/delete', 'target-escaped-separator'],
      ['/public/%2e%2e/api/items/7/delete', 'target-escaped-dot-segment'],
      ['/public/%2E%2E/api/items/7/delete', 'target-escaped-dot-segment'],
      ['/public/..;/api/items/7/delete', 'target-escaped-dot-segment'],
      ['/public/..\\api/items/7/delete', 'target-character'],
      ['/api/items/7/delete#/public/x', 'target-fragment'],
    ])('answers 400 to a refused origin’s POST %s, and nothing reaches a handler', async (path, reason) => {
      const before = upstream.hits.length;
      const res = await raw(gateway.port, post(path));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'request target refused', reason });
      expect(upstream.hits.slice(before)).toEqual([]);
    });

    it.sequential.each([
      '/public/../api/items/7/delete',
      '/public/./../api/items/7/delete',
      '//api/items/7/delete',
      '/api//items/7/delete',
      '/API/items/7/delete',
      '/Api/Items/7/Delete',
      '/%61pi/items/7/delete',
      '/%41PI/items/7/delete',
      'http://api.test/public/../api/items/7/delete',
    ])(
      'blocks a refused origin’s POST to %s as the /api/* route it is (403), never forwarding it',
      async (path) => {
        const before = upstream.hits.length;
        const res = await raw(gateway.port, post(path));
        expect(res.status).toBe(403);
        expect(JSON.parse(res.body)).toEqual({
          error: 'cross-origin request refused',
          reason: 'origin-not-allowed',
        });
        expect(upstream.hits.slice(before)).toEqual([]);
      },
    );

    it.sequential('strips the cookie of every spelling the upstream routes to /api/*, and forwards the normalised path', async () => {
      const before = upstream.hits.length;
      for (const path of ['/API/items/7', '/public/../api/items/8', '/api//items/9', '/%61pi/items/10'])
        expect(
          (
            await raw(
              gateway.port,
              `GET ${path} HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nCookie: session=victim\nConnection: close\n\n`,
            )
          ).status,
        ).toBe(200);
      expect(upstream.hits.slice(before)).toEqual([
        { handler: 'api-get', url: '/API/items/7', cookie: null },
        { handler: 'api-get', url: '/api/items/8', cookie: null },
        { handler: 'api-get', url: '/api/items/9', cookie: null },
        { handler: 'api-get', url: '/api/items/10', cookie: null },
      ]);
    });

    it.sequential('still lets the public route be public', async () => {
      const before = upstream.hits.length;
      const res = await raw(gateway.port, post('/public/delete'));
      expect(res.status).toBe(200);
      expect(res.header('access-control-allow-origin')).toBe('*');
      expect(upstream.hits.slice(before)).toEqual([
        { handler: 'public-delete', url: '/public/delete', cookie: 'session=victim' },
      ]);
    });
  });
}

describe.concurrent('an upstream base path cannot be climbed out of', () => {
  let upstream: FrameworkUpstream;
  let gateway: Gateway;
  let tmp: TempDir;

  beforeAll(async () => {
    upstream = await startExpress();
    tmp = tempDir();
    const list = tmp.file('allowed_origins.list', `${APP}\n`);
    gateway = await startGateway(['--upstream', `${upstream.url}/v1`, '--allowlist', list], { admin: false });
  });
  afterAll(async () => {
    await gateway?.stop();
    await upstream?.close();
    tmp?.remove();
  });

  it.sequential.each([
    ['/%2e%2e/admin', 400],
    ['/%2E%2E/admin', 400],
    ['/.%2e/admin', 400],
    ['/..%2fadmin', 400],
    ['/items/..%5c..%5cadmin', 400],
    ['/../admin', 404],
    ['/../../admin', 404],
    ['/items/../../admin', 404],
  ])('GET %s never reaches /admin (%i)', async (path, status) => {
    const before = upstream.hits.length;
    const res = await raw(gateway.port, `GET ${path} HTTP/1.1\nHost: api.test\nConnection: close\n\n`);
    // Dot segments are resolved below the base path: /../admin is /v1/admin, which Express has not.
    expect(res.status).toBe(status);
    expect(upstream.hits.slice(before)).toEqual([]);
  });

  it.sequential('forwards an ordinary path under the base path', async () => {
    const res = await raw(gateway.port, `GET /./items HTTP/1.1\nHost: api.test\nConnection: close\n\n`);
    expect(res.status).toBe(200);
    expect(upstream.hits.at(-1)).toEqual({ handler: 'v1-items', url: '/v1/items', cookie: null });
  });
});

for (const start of [startExpress, startFastify]) {
  describe.concurrent(`own origins come from configuration, never from Host (real ${start === startExpress ? 'Express' : 'Fastify'} upstream)`, () => {
    let upstream: FrameworkUpstream;
    let gateway: Gateway;
    let tmp: TempDir;
    const OWN = 'https://gw.example.com';
    /** A page on the attacker's name, rebound by DNS to the gateway's address. */
    const REBIND = 'rebind.attacker.example';

    beforeAll(async () => {
      upstream = await start();
      tmp = tempDir();
      const list = tmp.file('allowed_origins.list', `${APP}\n`);
      gateway = await startGateway(
        ['--upstream', upstream.url, '--allowlist', list, '--credentials', '--public-origin', OWN],
        { admin: false },
      );
    });
    afterAll(async () => {
      await gateway?.stop();
      await upstream?.close();
      tmp?.remove();
    });

    const sameSite = (host: string, origin: string, secFetchSite?: string): string =>
      `POST /api/items/7/delete HTTP/1.1\nHost: ${host}\nOrigin: ${origin}\n${secFetchSite === undefined ? '' : `Sec-Fetch-Site: ${secFetchSite}\n`}Content-Type: application/x-www-form-urlencoded\nContent-Length: 3\nConnection: close\n\na=1`;

    it.sequential('refuses a state-changing request whose Origin matches its Host on a rebinding name (403, not forwarded)', async () => {
      const before = upstream.hits.length;
      const host = `${REBIND}:${gateway.port}`;
      for (const request of [
        sameSite(host, `http://${host}`),
        // A browser adds Sec-Fetch-Site: same-origin to the rebound page's own requests: still refused.
        sameSite(host, `http://${host}`, 'same-origin'),
      ]) {
        const res = await raw(gateway.port, request);
        expect(res.status).toBe(403);
        expect(JSON.parse(res.body).reason).toBe('origin-not-allowed');
      }
      expect(upstream.hits.slice(before)).toEqual([]);
    });

    it.sequential('forwards a request from a configured public origin as same-origin, with no CORS headers', async () => {
      const before = upstream.hits.length;
      const res = await raw(gateway.port, sameSite('gw.example.com', OWN));
      expect(res.status).toBe(200);
      expect(res.header('access-control-allow-origin')).toBeUndefined();
      expect(upstream.hits.slice(before).map((h) => h.handler)).toEqual(['api-delete']);
    });

    it.sequential('counts Sec-Fetch-Site: same-origin only when the request was sent to a public origin’s host', async () => {
      const before = upstream.hits.length;
      expect((await raw(gateway.port, sameSite('gw.example.com', 'null', 'same-origin'))).status).toBe(200);
      expect((await raw(gateway.port, sameSite('GW.example.com', 'null', 'same-origin'))).status).toBe(200);
      expect((await raw(gateway.port, sameSite(REBIND, 'null', 'same-origin'))).status).toBe(403);
      expect((await raw(gateway.port, sameSite('gw.example.com', 'null', 'cross-site'))).status).toBe(403);
      expect(upstream.hits.slice(before).map((h) => h.handler)).toEqual(['api-delete', 'api-delete']);
    });
  });
}

describe.concurrent('OPTIONS * and malformed targets never hold an upstream connection', () => {
  const env = gatewayForDescribe([], { admin: false });

  it.sequential('answers OPTIONS * itself with 200 and an empty body', async () => {
    const res = await raw(env.gateway.port, 'OPTIONS * HTTP/1.1\nHost: api.test\nConnection: close\n\n');
    expect(res.status).toBe(200);
    expect(res.header('content-length')).toBe('0');
    expect(env.upstream.received).toEqual([]);
  });

  it.sequential('forwards normal traffic after 1,000 OPTIONS * and malformed requests in a row', async () => {
    const malformed = [
      'OPTIONS * HTTP/1.1\r\nHost: api.test\r\n\r\n',
      'OPTIONS * HTTP/1.1\r\nHost: api.test\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: PUT\r\n\r\n',
      'GET * HTTP/1.1\r\nHost: api.test\r\n\r\n',
      'GET /a%zz HTTP/1.1\r\nHost: api.test\r\n\r\n',
      'GET /a%2fb HTTP/1.1\r\nHost: api.test\r\n\r\n',
    ];
    const count = 1000;
    const statuses = await pipeline(
      env.gateway.port,
      Array.from({ length: count }, (_, i) => malformed[i % malformed.length]!).join(''),
      count,
    );
    expect(statuses.filter((s) => s === 200).length).toBe(400);
    expect(statuses.filter((s) => s === 400).length).toBe(600);
    expect(env.upstream.received).toEqual([]);
    for (let i = 0; i < 5; i++) {
      const res = await raw(
        env.gateway.port,
        `GET /after-${i} HTTP/1.1\nHost: api.test\nConnection: close\n\n`,
      );
      expect(res.status).toBe(200);
    }
    expect(env.upstream.received.map((r) => r.url)).toEqual([
      '/after-0',
      '/after-1',
      '/after-2',
      '/after-3',
      '/after-4',
    ]);
  });
});

describe.concurrent('a WebSocket handshake goes through the same path and origin checks', () => {
  const env = gatewayForDescribe([], { admin: false });
  const handshake = (path: string, host: string, origin: string): string =>
    `GET ${path} HTTP/1.1\nHost: ${host}\nOrigin: ${origin}\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n`;

  it.sequential('refuses an encoded separator or dot segment in the handshake target with 400', async () => {
    for (const [path, reason] of [
      ['/api/7%2f..%2fpublic', 'target-escaped-separator'],
      ['/public/%2e%2e/api', 'target-escaped-dot-segment'],
    ]) {
      const res = await raw(env.gateway.port, handshake(path!, 'api.test', APP));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toContain(reason);
    }
    expect(env.upstream.received).toEqual([]);
  });

  it.sequential('refuses a handshake from a rebinding name whose Origin matches its Host (403)', async () => {
    const host = `rebind.attacker.example:${env.gateway.port}`;
    const res = await raw(env.gateway.port, handshake('/socket', host, `http://${host}`));
    expect(res.status).toBe(403);
    expect(env.upstream.received).toEqual([]);
  });
});

/** Writes many requests on one keep-alive connection and reads the status of each answer. */
function pipeline(port: number, requests: string, expected: number): Promise<number[]> {
  return new Promise((resolvePipeline, rejectPipeline) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      if (statuses.length >= expected) {
        socket.destroy();
        resolvePipeline(statuses);
      }
    });
    socket.on('error', rejectPipeline);
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error(`only ${text.split('HTTP/1.1 ').length - 1} answers`)),
    );
    socket.write(requests);
  });
}

describe.concurrent('a 304 with a Content-Length, and failing upstreams', () => {
  let upstream: Server;
  let gateway: Gateway;
  let tmp: TempDir;

  beforeAll(async () => {
    // Raw bytes: a 304 that states the length of the body it does not send (RFC 9110 §8.6 allows it).
    upstream = createNetServer((socket) => {
      let buffered = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        while (buffered.includes('\r\n\r\n')) {
          buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
          socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 1234\r\n\r\n');
        }
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    tmp = tempDir();
    const list = tmp.file('allowed_origins.list', `${APP}\n`);
    gateway = await startGateway(
      ['--upstream', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, '--allowlist', list],
      { admin: false },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await new Promise((r) => upstream?.close(r));
    tmp?.remove();
  });

  it.sequential('relays the 304 with its headers and keeps the connection usable', async () => {
    const request = `GET /etag HTTP/1.1\r\nHost: api.test\r\nOrigin: ${APP}\r\nIf-None-Match: "v1"\r\n\r\n`;
    const statuses = await pipeline(gateway.port, request + request, 2);
    expect(statuses).toEqual([304, 304]);
    const res = await raw(
      gateway.port,
      `GET /etag HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(res.status).toBe(304);
    expect(res.header('etag')).toBe('"v1"');
    expect(res.header('access-control-allow-origin')).toBe(APP);
    // What undici reports is logged, once (rate-limited), at warn: nothing failed for the client.
    const lines = gateway.logs.filter((l) => l['event'] === 'upstream-error');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', path: '/etag' });
  });
});

describe('upstream-error log lines are rate-limited like the denial log', () => {
  let gateway: Gateway;
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = tempDir();
    const list = tmp.file('allowed_origins.list', `${APP}\n`);
    gateway = await startGateway(
      ['--upstream', `http://127.0.0.1:${await freePort()}`, '--allowlist', list],
      {
        admin: false,
      },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    tmp?.remove();
  });

  it('writes one line per error code per minute for 300 failing requests, without the query', async () => {
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${gateway.url}/fails/${i}?token=secret-${i}`);
      expect(res.status).toBe(502);
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 200));
    const lines = gateway.logs.filter((l) => l['event'] === 'upstream-error');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ code: 'ECONNREFUSED', method: 'GET', path: '/fails/0', suppressed: 0 });
    expect(JSON.stringify(gateway.logs)).not.toContain('secret-');
  });
});

describe('the admin listener answers only to its own address or a configured name', () => {
  const env = gatewayForDescribe(['--admin-allowed-host', 'corsgate-admin.internal']);

  const adminGet = (path: string, host: string) =>
    raw(
      Number(new URL(env.gateway.adminUrl).port),
      `GET ${path} HTTP/1.1\nHost: ${host}\nConnection: close\n\n`,
    );

  it.each(['/allowlist', '/denied', '/metrics', '/health'])(
    'refuses %s to a page on a rebinding name with 421, showing nothing',
    async (path) => {
      const port = new URL(env.gateway.adminUrl).port;
      for (const host of [
        `rebind.attacker.example:${port}`,
        'rebind.attacker.example',
        `127.0.0.1.nip.io:${port}`,
      ]) {
        const res = await adminGet(path, host);
        expect(res.status).toBe(421);
        expect(res.body).not.toContain('allowed_origins');
        expect(res.body).not.toContain(APP);
      }
    },
  );

  it('refuses its own address on another port (a page on 127.0.0.1:8000 rebinding nothing still names its port)', async () => {
    expect((await adminGet('/health', '127.0.0.1:1')).status).toBe(421);
  });

  it('answers its own address, localhost and the configured name', async () => {
    const port = new URL(env.gateway.adminUrl).port;
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `localhost:${port}`,
      `corsgate-admin.internal:${port}`,
    ]) {
      const res = await adminGet('/allowlist', host);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).entries).toEqual([{ origin: APP, line: 1 }]);
    }
  });
});

describe('slow request bodies cannot take the upstream from everyone else', () => {
  const env = gatewayForDescribe(
    [
      '--upstream-connections',
      '4',
      '--upstream-queue-timeout',
      '300',
      '--request-timeout',
      '4000',
      '--body-idle-timeout',
      '1500',
    ],
    { admin: false },
  );
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
  });

  /** A client that declares a 1 MB body and sends a byte every `everyMs` (never idle long). */
  function trickle(path: string, everyMs: number): { socket: Socket; answer: Promise<string> } {
    const socket = connect(env.gateway.port, '127.0.0.1');
    sockets.push(socket);
    socket.setEncoding('latin1');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: api.test\r\nOrigin: ${APP}\r\nContent-Length: 1000000\r\n\r\nx`,
    );
    const timer = setInterval(() => socket.writable && socket.write('x'), everyMs);
    let text = '';
    const answer = new Promise<string>((resolveAnswer) => {
      socket.on('data', (c: string) => {
        text += c;
      });
      socket.on('close', () => {
        clearInterval(timer);
        resolveAnswer(text);
      });
      socket.on('error', () => undefined);
    });
    return { socket, answer };
  }

  it('answers others 503 with CORS headers while every connection is held, 408 to the tricklers at the deadline, then forwards again', async () => {
    const started = Date.now();
    const slow = Array.from({ length: 6 }, (_, i) => trickle(`/upload-slow-${i}`, 200));
    await waitFor(
      () => env.upstream.received.filter((r) => r.url.startsWith('/upload-slow')).length === 4,
      3000,
    );
    const busy = await raw(
      env.gateway.port,
      `GET /meanwhile HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
    );
    expect(busy.status).toBe(503);
    expect(busy.header('access-control-allow-origin')).toBe(APP);
    expect(JSON.parse(busy.body)).toEqual({
      error: 'no upstream connection free in time',
      reason: 'upstream-busy',
    });
    const answers = await Promise.all(slow.map((s) => s.answer));
    // Each trickler is answered by the gateway: 408 at the whole-request deadline, or 503 for
    // those that never got a connection.
    for (const text of answers) expect(text).toMatch(/^HTTP\/1\.1 (408|503) /);
    expect(answers.filter((t) => t.startsWith('HTTP/1.1 408')).length).toBe(4);
    expect(answers.join('')).toContain('"reason":"request-deadline"');
    expect(Date.now() - started).toBeLessThan(9000);
    const after = await raw(
      env.gateway.port,
      `GET /after-slow HTTP/1.1\nHost: api.test\nConnection: close\n\n`,
    );
    expect(after.status).toBe(200);
  });

  it('answers 408 to a body that stops moving for longer than the body idle timeout', async () => {
    const socket = connect(env.gateway.port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      text += c;
    });
    const closed = new Promise((r) => socket.on('close', r));
    const started = Date.now();
    socket.write(
      `POST /upload HTTP/1.1\r\nHost: api.test\r\nOrigin: ${APP}\r\nContent-Length: 100\r\n\r\nten bytes.`,
    );
    await closed;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('"reason":"body-idle"');
    expect(text.toLowerCase()).toContain(`access-control-allow-origin: ${APP}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });
});
