/**
 * Small request bodies are read whole before they take an upstream connection, within a bound on
 * the memory they all hold (docs/gateway.md "Slow clients"), tried as an attacker would: hundreds
 * of raw sockets trickling bodies at a byte a second, against a pool of four connections.
 */
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gatewayForDescribe, raw, waitFor } from './helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** A gauge or counter's value from the admin listener's /metrics. */
async function metric(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

/** Opens raw sockets that send a request head and `first` bytes of a body they never finish. */
function holders(sockets: Socket[]) {
  return (port: number, head: string, first: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('connect', () =>
        socket.write(`${head}\r\n\r\n${first}`, (e) => (e ? reject(e) : resolve())),
      );
    });
}

describe('slow small request bodies never reach the upstream pool', () => {
  const env = gatewayForDescribe([
    '--upstream-connections',
    '4',
    '--upstream-queue-timeout',
    '300',
    '--request-timeout',
    '30000',
    '--body-idle-timeout',
    '3000',
  ]);
  const sockets: Socket[] = [];
  const hold = holders(sockets);
  afterAll(() => {
    for (const s of sockets) s.destroy();
  });

  it('answers a normal client at once while 300 raw sockets trickle a refused origin’s GET bodies at a byte a second', async () => {
    const { gateway, upstream } = env;
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        hold(
          gateway.port,
          `GET /trickle-${i} HTTP/1.1\r\nHost: api.test\r\nOrigin: ${EVIL}\r\nContent-Length: 1000`,
          'x',
        ),
      ),
    );
    const trickle = setInterval(() => {
      for (const s of sockets) if (s.writable) s.write('x');
    }, 1000);
    try {
      // Every trickler's first byte is held by the gateway: each is being read, none forwarded.
      await waitFor(
        async () => (await metric(gateway.adminUrl, 'corsgate_request_buffer_bytes')) >= 300,
        20_000,
        'the 300 bodies to be held',
      );
      const get = await raw(
        gateway.port,
        `GET /meanwhile HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nConnection: close\n\n`,
      );
      expect(get.status).toBe(200);
      expect(get.header('access-control-allow-origin')).toBe(APP);
      const post = await raw(
        gateway.port,
        `POST /upload HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nContent-Length: 5\nConnection: close\n\nhello`,
      );
      expect(post.status).toBe(200);
      expect(JSON.parse(post.body)).toEqual({ bytes: 5 });
      expect(upstream.received.filter((r) => r.url.startsWith('/trickle-'))).toEqual([]);
    } finally {
      clearInterval(trickle);
    }
    for (const s of sockets) s.destroy();
    // A client that goes away gives back what its body held.
    await waitFor(
      async () => (await metric(gateway.adminUrl, 'corsgate_request_buffer_bytes')) === 0,
      10_000,
      'the held bodies to be released',
    );
  });

  it('forwards a small chunked body whole, with its length, once it has arrived', async () => {
    const res = await request(`${env.gateway.url}/echo-body`, {
      method: 'POST',
      headers: { origin: APP },
      body: (async function* () {
        yield Buffer.from('hello ');
        yield Buffer.from('world');
      })(),
    });
    const json = (await res.body.json()) as { bodyBytes: number; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(json.bodyBytes).toBe(11);
    expect(json.headers['content-length']).toBe('11');
    expect(json.headers['transfer-encoding']).toBeUndefined();
  });

  it('folds the upstream latency into its histogram: every answer in a bucket, +Inf equal to the count', async () => {
    await fetch(`${env.gateway.url}/latency`, { headers: { Origin: APP } });
    const text = await (await fetch(`${env.gateway.adminUrl}/metrics`)).text();
    const count = Number(/^corsgate_upstream_response_seconds_count (\S+)$/m.exec(text)?.[1]);
    const inf = Number(/^corsgate_upstream_response_seconds_bucket\{le="\+Inf"\} (\S+)$/m.exec(text)?.[1]);
    const top = Number(/^corsgate_upstream_response_seconds_bucket\{le="10"\} (\S+)$/m.exec(text)?.[1]);
    expect(count).toBeGreaterThan(0);
    expect(inf).toBe(count);
    expect(top).toBe(count);
  });
});

describe('the memory all buffered bodies hold is bounded', () => {
  const env = gatewayForDescribe(['--request-buffer-size', '1024', '--request-buffer-memory', '4000']);
  const sockets: Socket[] = [];
  const hold = holders(sockets);
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('refuses a small body 503 CG_GATEWAY_BUFFERS_FULL with the CORS headers once the bound is held, and takes bodies again once they are gone', async () => {
    const { gateway, upstream } = env;
    const head = `POST /upload HTTP/1.1\r\nHost: api.test\r\nOrigin: ${APP}\r\nContent-Length: 1000`;
    for (let i = 0; i < 4; i++) await hold(gateway.port, head, 'y'.repeat(990));
    await waitFor(
      async () => (await metric(gateway.adminUrl, 'corsgate_request_buffer_bytes')) === 3960,
      10_000,
      'four bodies of 990 bytes to be held',
    );
    const full = await raw(
      gateway.port,
      `POST /upload HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nContent-Length: 100\nConnection: close\n\n${'z'.repeat(100)}`,
    );
    expect(full.status).toBe(503);
    expect(full.header('retry-after')).toBe('1');
    expect(full.header('access-control-allow-origin')).toBe(APP);
    expect(JSON.parse(full.body)).toMatchObject({ reason: 'buffers-full', code: 'CG_GATEWAY_BUFFERS_FULL' });
    expect(await metric(gateway.adminUrl, 'corsgate_request_buffers_full_total')).toBe(1);
    expect(upstream.bytesReceived.get('/upload')).toBeUndefined();

    for (const s of sockets.splice(0)) s.destroy();
    await waitFor(
      async () => (await metric(gateway.adminUrl, 'corsgate_request_buffer_bytes')) === 0,
      10_000,
      'the held bodies to be released',
    );
    const again = await raw(
      gateway.port,
      `POST /upload HTTP/1.1\nHost: api.test\nOrigin: ${APP}\nContent-Length: 1000\nConnection: close\n\n${'z'.repeat(1000)}`,
    );
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ bytes: 1000 });
  });

  it('streams a chunked body that grows past the buffer size, every byte of it', async () => {
    const chunk = Buffer.alloc(700, 120);
    const res = await request(`${env.gateway.url}/upload`, {
      method: 'PUT',
      headers: { origin: APP },
      body: (async function* () {
        for (let i = 0; i < 10; i++) yield chunk;
      })(),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ bytes: 7000 });
  });

  it('streams a body whose declared length is over the buffer size without reading it first', async () => {
    const res = await request(`${env.gateway.url}/upload`, {
      method: 'PUT',
      headers: { origin: APP, 'content-length': '5000' },
      body: Buffer.alloc(5000, 97),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ bytes: 5000 });
    expect(await metric(env.gateway.adminUrl, 'corsgate_request_buffer_bytes')).toBe(0);
  });
});
