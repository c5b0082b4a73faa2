/**
 * HTTP/2 on the traffic listener (--tls-cert/--tls-key; --no-http2 turns it off), spawned for
 * real and driven by node:http2 and raw frames: ALPN offers h2 and http/1.1; preflights, proxying,
 * blocking and the CORS headers are the same over h2 as over HTTP/1.1; `:authority` stands in for
 * Host; connection-specific headers are refused; bodies stream both ways (docs/gateway.md "HTTP/2").
 */
import { execFileSync } from 'node:child_process';
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
} from './helpers.js';

const APP = 'https://app.example.com';
let tmp: TempDir;
let upstream: Upstream;
let gw: Gateway;
let tlsArgs: string[];
const h1 = new Agent({ connect: { rejectUnauthorized: false } });

beforeAll(async () => {
  tmp = tempDir();
  upstream = await startUpstream();
  tmp.file('allowed_origins.list', `${APP}\n`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-keyout',
      `${tmp.dir}/key.pem`,
      '-out',
      `${tmp.dir}/cert.pem`,
    ]),
    { stdio: 'ignore' },
  );
  tlsArgs = ['--tls-cert', `${tmp.dir}/cert.pem`, '--tls-key', `${tmp.dir}/key.pem`];
  gw = await startGateway([
    '--upstream',
    upstream.url,
    '--allowlist',
    `${tmp.dir}/allowed_origins.list`,
    '--methods',
    'PUT',
    '--request-headers',
    'Content-Type',
    ...tlsArgs,
  ]);
});
afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
  tmp?.remove();
});

function alpn(port: number, offered: string[]): Promise<string | false> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: offered },
      () => {
        resolve(socket.alpnProtocol ?? false);
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

interface H2Response {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request over a fresh h2 session. */
function h2(url: string, headers: Record<string, string>, body?: Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const session = h2connect(url, { rejectUnauthorized: false, maxSessionMemory: 64 });
    session.on('error', reject);
    const stream = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let responseHeaders: IncomingHttpHeaders = {};
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      resolve({ headers: responseHeaders, body: Buffer.concat(chunks) });
      session.close();
    });
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** The CORS headers of a response, names lower-case. */
function corsOf(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'),
  );
}

describe('HTTP/2 on the TLS listener', () => {
  it('offers h2 and http/1.1 by ALPN', async () => {
    expect(await alpn(gw.port, ['h2', 'http/1.1'])).toBe('h2');
    expect(await alpn(gw.port, ['http/1.1'])).toBe('http/1.1');
    expect(gw.logs.find((l) => l['event'] === 'listening')?.['protocols']).toEqual(['h2', 'http/1.1']);
  });

  it('answers a preflight over h2 exactly as over HTTP/1.1', async () => {
    const ask = {
      origin: APP,
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    };
    const over2 = await h2(gw.url, { ':method': 'OPTIONS', ':path': '/items', ...ask });
    const over1 = await request(`${gw.url}/items`, { method: 'OPTIONS', headers: ask, dispatcher: h1 });
    await over1.body.dump();
    expect(over2.headers[':status']).toBe(204);
    expect(over1.statusCode).toBe(204);
    expect(corsOf(over2.headers)).toEqual(corsOf(over1.headers));
    expect(over2.headers['access-control-allow-origin']).toBe(APP);
    const refused = await h2(gw.url, {
      ':method': 'OPTIONS',
      ':path': '/items',
      origin: 'https://evil.example',
      'access-control-request-method': 'PUT',
    });
    expect(refused.headers[':status']).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('proxies a GET over h2 to the HTTP/1.1 upstream, :authority standing in for Host', async () => {
    const r = await h2(gw.url, { ':method': 'GET', ':path': '/h2-get?x=1', origin: APP });
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(r.headers['vary']).toBe('Origin');
    const over1 = await request(`${gw.url}/h1-get?x=1`, { headers: { origin: APP }, dispatcher: h1 });
    await over1.body.dump();
    expect(corsOf(r.headers)).toEqual(corsOf(over1.headers));
    const seen = upstream.received.find((q) => q.url === '/h2-get?x=1')!;
    expect(seen.headers.host).toBe(new URL(upstream.url).host);
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.rawHeaders.filter((_, i) => i % 2 === 0 && seen.rawHeaders[i]!.startsWith(':'))).toEqual([]);
  });

  it('blocks a refused origin’s POST over h2 with 403, never reaching the upstream', async () => {
    const before = upstream.received.length;
    const r = await h2(
      gw.url,
      {
        ':method': 'POST',
        ':path': '/transfer',
        origin: 'https://evil.example',
        'content-type': 'text/plain',
      },
      Buffer.from('all of it'),
    );
    expect(r.headers[':status']).toBe(403);
    expect(JSON.parse(String(r.body))).toEqual({
      error: 'cross-origin request refused',
      reason: 'origin-not-allowed',
    });
    expect(upstream.received.length).toBe(before);
  });

  it('streams large bodies both ways over h2 (24 MiB up, 32 MiB down)', async () => {
    const up = await h2(
      gw.url,
      { ':method': 'POST', ':path': '/upload', origin: APP, 'content-type': 'application/octet-stream' },
      Buffer.alloc(24 * 1024 * 1024, 7),
    );
    expect(up.headers[':status']).toBe(200);
    expect(JSON.parse(String(up.body))).toEqual({ bytes: 24 * 1024 * 1024 });
    const down = await h2(gw.url, { ':method': 'GET', ':path': '/download?mb=32', origin: APP });
    expect(down.headers[':status']).toBe(200);
    expect(down.body.length).toBe(32 * 1024 * 1024);
  }, 60_000);

  it('refuses a Host that differs from :authority with 400 (raw frames), nothing forwarded', async () => {
    const before = upstream.received.length;
    const frames = await rawH2(gw.port, [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/echo'],
      [':authority', `127.0.0.1:${gw.port}`],
      ['host', 'evil.example'],
    ]);
    const response = frames.find((f) => f.type === 1 && f.stream === 1);
    // HPACK: `:status: 400` is static table entry 12, sent as the indexed field 0x8c.
    expect(response?.payload[0]).toBe(0x8c);
    expect(upstream.received.length).toBe(before);
  });

  it('refuses a stream carrying a connection-specific header (raw frames): PROTOCOL_ERROR, nothing forwarded', async () => {
    const before = upstream.received.length;
    for (const [name, value] of [
      ['connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'websocket'],
      ['te', 'gzip'],
    ]) {
      const frames = await rawH2(gw.port, [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':path', '/raw-h2'],
        [':authority', `127.0.0.1:${gw.port}`],
        [name!, value!],
      ]);
      const reset = frames.find((f) => f.type === 3 && f.stream === 1);
      const goaway = frames.find((f) => f.type === 7);
      const code = reset?.payload.readUInt32BE(0) ?? goaway?.payload.readUInt32BE(4);
      expect(code, name).toBe(1);
      expect(
        frames.some((f) => f.type === 1 && f.stream === 1),
        name,
      ).toBe(false);
    }
    expect(upstream.received.length).toBe(before);
  });

  it('with --no-http2 offers http/1.1 only', async () => {
    const plain = await startGateway(
      [
        '--upstream',
        upstream.url,
        '--allowlist',
        `${tmp.dir}/allowed_origins.list`,
        '--no-http2',
        ...tlsArgs,
      ],
      { admin: false },
    );
    try {
      expect(await alpn(plain.port, ['h2', 'http/1.1'])).not.toBe('h2');
      const r = await request(`${plain.url}/echo`, { headers: { origin: APP }, dispatcher: h1 });
      await r.body.dump();
      expect(r.headers['access-control-allow-origin']).toBe(APP);
    } finally {
      await plain.stop();
    }
  });
});

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** HPACK literal header field without indexing, new name, no Huffman (RFC 7541 §6.2.2). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([
    Buffer.from([0, name.length]),
    Buffer.from(name),
    Buffer.from([value.length]),
    Buffer.from(value),
  ]);
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** Opens an h2 connection by hand, sends one HEADERS frame, and collects what comes back for 1 s. */
function rawH2(port: number, headers: [string, string][]): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2'] },
      () => {
        const block = Buffer.concat(headers.map(([n, v]) => literal(n, v)));
        socket.write(
          Buffer.concat([
            Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
            frame(4, 0, 0, Buffer.alloc(0)),
            frame(1, 0x5, 1, block),
          ]),
        );
      },
    );
    let buffer = Buffer.alloc(0);
    const frames: Frame[] = [];
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const f = {
          type: buffer[3]!,
          flags: buffer[4]!,
          stream: buffer.readUInt32BE(5) & 0x7fffffff,
          payload: buffer.subarray(9, 9 + length),
        };
        frames.push(f);
        if (f.type === 4 && (f.flags & 1) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0)));
        buffer = buffer.subarray(9 + length);
      }
    });
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve(frames);
    }, 1_000);
  });
}
