/**
 * The wait between a WebSocket handshake and the upstream's 101, tried as an attacker would
 * (docs/websocket.md "Before the 101"): bytes sent behind the handshake are held until the 101 and
 * never reach an upstream that answers anything else; a client that sends too many is closed; a
 * handshake whose origin a list change refuses while it waits for its 101 never opens.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type Gateway, startGateway, type TempDir, tempDir, waitFor } from './helpers.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';

/** A browser-like handshake from an allowed origin, as raw bytes. */
const HANDSHAKE =
  'GET /chat HTTP/1.1\r\nHost: gw.test\r\nOrigin: https://app.example.com\r\nUpgrade: websocket\r\n' +
  'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** What the attacker hides behind the handshake: a refused origin's DELETE, unnormalised, with its own X-Forwarded-Host. */
const SMUGGLED =
  `DELETE /api/%2e%2e/admin/users/1 HTTP/1.1\r\nHost: internal.test\r\nOrigin: ${EVIL}\r\n` +
  'X-Forwarded-Host: admin.internal.test\r\nContent-Length: 0\r\n\r\n';

interface Seen {
  method: string;
  url: string;
}

interface PlainUpstream {
  url: string;
  seen: Seen[];
  /** Connections the upstream has open now. */
  connections: Set<Socket>;
  close(): Promise<void>;
}

async function listen(server: Server, seen: Seen[]): Promise<PlainUpstream> {
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** node:http with no `upgrade` listener: an upgrade request is an ordinary request, answered 200 (chunked) on a kept-alive connection. */
function startNodeUpstream(): Promise<PlainUpstream> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    res.write('not a ');
    res.end('websocket');
  });
  return listen(server, seen);
}

/** Express, answering 400 to everything on a kept-alive connection. */
function startExpressUpstream(): Promise<PlainUpstream> {
  const seen: Seen[] = [];
  const app = express();
  app.use((req, res) => {
    seen.push({ method: req.method, url: req.originalUrl });
    res.status(400).send('no upgrade here');
  });
  return listen(createServer(app), seen);
}

interface RawExchange {
  text: string;
  closed: boolean;
}

/** Writes `chunks` on one connection and reads until the gateway closes it (or `limitMs` passes). */
function rawExchange(port: number, chunks: (string | Buffer)[], limitMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(received).toString('latin1'), closed });
    };
    const timer = setTimeout(() => done(false), limitMs);
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => done(true));
    socket.on('close', () => done(true));
    for (const chunk of chunks) socket.write(chunk);
  });
}

/** A masked client text frame (RFC 6455 §5.2), as a client writes it. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = Buffer.from([1, 2, 3, 4]);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

for (const [name, start, status, body] of [
  ['node:http', startNodeUpstream, 200, 'not a websocket'],
  ['Express', startExpressUpstream, 400, 'no upgrade here'],
] as const) {
  describe(`a request hidden behind a handshake, with a real ${name} upstream that never upgrades`, () => {
    let upstream: PlainUpstream;
    let gw: Gateway;
    let tmp: TempDir;
    beforeAll(async () => {
      upstream = await start();
      tmp = tempDir();
      const list = tmp.file('allowed_origins.list', `${ALLOWED}\n`);
      gw = await startGateway(['--upstream', upstream.url, '--allowlist', list], { admin: false });
    });
    afterAll(async () => {
      await gw?.stop();
      await upstream?.close();
      tmp?.remove();
    });

    it(`never reaches the upstream: the client gets the upstream's ${status} and a close`, async () => {
      for (const chunks of [[HANDSHAKE + SMUGGLED], [HANDSHAKE, SMUGGLED]]) {
        const before = upstream.seen.length;
        const r = await rawExchange(gw.port, chunks);
        expect(r.closed).toBe(true);
        expect(r.text.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
        expect(r.text).toContain(body);
        expect(r.text).not.toContain('HTTP/1.1 101');
        // Everything the gateway wrote has been read once the upstream's connection is gone.
        await waitFor(() => upstream.connections.size === 0, 5_000, 'the upstream connection to close');
        expect(upstream.seen.slice(before)).toEqual([{ method: 'GET', url: '/chat' }]);
      }
    });
  });
}

interface HeldUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** Bytes the upstream read on this connection after the handshake, while holding it. */
  extra: number;
  /** Resolves when the gateway has closed its side of the connection (node:http's sockets stay half-open). */
  gone: Promise<void>;
}

interface HoldingUpstream {
  url: string;
  /** Handshakes received and not yet answered, in order. */
  held: HeldUpgrade[];
  /** Answers a held handshake with 101: an echoing socket. */
  release(held: HeldUpgrade): Promise<WebSocket>;
  close(): Promise<void>;
}

/** A real `ws` server that holds every handshake until the test releases it. */
async function startHoldingUpstream(): Promise<HoldingUpstream> {
  const held: HeldUpgrade[] = [];
  const server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const gone = new Promise<void>((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
    });
    const entry: HeldUpgrade = { req, socket, head, extra: head.length, gone };
    socket.on('data', (c: Buffer) => (entry.extra += c.length));
    held.push(entry);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held,
    release: (entry) =>
      new Promise((resolve) => {
        entry.socket.removeAllListeners('data');
        wss.handleUpgrade(entry.req, entry.socket, entry.head, (ws) => {
          ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
          resolve(ws);
        });
      }),
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const entry of held) entry.socket.destroy();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('the wait for the 101', () => {
  let upstream: HoldingUpstream;
  let gw: Gateway;
  let tmp: TempDir;
  let wsUrl: string;
  beforeAll(async () => {
    upstream = await startHoldingUpstream();
    tmp = tempDir();
    const list = tmp.file('allowed_origins.list', `${ALLOWED}\nhttps://other.example.com\n`);
    gw = await startGateway(['--upstream', upstream.url, '--allowlist', list, '--upstream-timeout', '5000']);
    wsUrl = gw.url.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
    tmp?.remove();
  });

  async function heldHandshake(count: number): Promise<HeldUpgrade> {
    await waitFor(() => upstream.held.length >= count, 5_000, 'the upstream to receive the handshake');
    return upstream.held[count - 1]!;
  }

  it('a message sent right behind the handshake waits for the 101, then reaches the upstream', async () => {
    const socket = connect(gw.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1').on('data', (c: string) => (text += c));
    socket.write(HANDSHAKE + clientTextFrame('early').toString('latin1'), 'latin1');
    const held = await heldHandshake(upstream.held.length + 1);
    expect(held.extra).toBe(0);
    await upstream.release(held);
    // The echo comes back as an unmasked server frame right after the 101.
    await waitFor(() => text.includes('early'), 5_000, 'the early message to be echoed');
    expect(text.startsWith('HTTP/1.1 101 ')).toBe(true);
    socket.destroy();
  });

  it('a client that half-closes right behind its message: after the 101 the upstream reads the message, then the end', async () => {
    const socket = connect({ port: gw.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.end(HANDSHAKE + clientTextFrame('then bye').toString('latin1'), 'latin1');
    const held = await heldHandshake(upstream.held.length + 1);
    const ws = await upstream.release(held);
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    await new Promise((resolve) => ws.once('close', resolve));
    expect(messages).toEqual(['then bye']);
    socket.destroy();
  });

  it('closes a client that sends more than the held-bytes limit while it waits; the upstream reads none of it', async () => {
    const count = upstream.held.length + 1;
    const socket = connect(gw.port, '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.setEncoding('latin1').on('data', (c: string) => (text += c));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    socket.write(HANDSHAKE);
    const held = await heldHandshake(count);
    socket.write(Buffer.alloc(64 * 1024, 0x41));
    const text = await answer;
    expect(text.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(text).toContain('before the upgrade was answered');
    await held.gone;
    expect(held.extra).toBe(0);
  });

  it('refuses with 400 a handshake whose own packet carries more than the limit; the upstream never sees it', async () => {
    const before = upstream.held.length;
    const r = await rawExchange(gw.port, [Buffer.concat([Buffer.from(HANDSHAKE), Buffer.alloc(9 * 1024)])]);
    expect(r.closed).toBe(true);
    expect(r.text.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(r.text).toContain('before the upgrade was answered');
    expect(upstream.held.length).toBe(before);
  });

  it('a handshake allowed before a list change that gets its 101 after it never opens (403)', async () => {
    const count = upstream.held.length + 1;
    const client = new WebSocket(`${wsUrl}/chat`, { headers: { Origin: ALLOWED } });
    const outcome = new Promise<{ opened: boolean; status?: number }>((resolve) => {
      client.once('open', () => resolve({ opened: true }));
      client.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
      client.once('error', () => resolve({ opened: false }));
    });
    const held = await heldHandshake(count);
    const version = async (): Promise<number> =>
      ((await (await fetch(`${gw.adminUrl}/allowlist`)).json()) as { version: number }).version;
    const before = await version();
    tmp.atomic('allowed_origins.list', 'https://other.example.com\n');
    await waitFor(async () => (await version()) > before, 5_000, 'the new list version in force');
    const upstreamSide = await upstream.release(held);
    const upstreamClosed = new Promise<void>((resolve) => upstreamSide.once('close', () => resolve()));
    expect(await outcome).toEqual({ opened: false, status: 403 });
    await upstreamClosed;
    const denied = (await (await fetch(`${gw.adminUrl}/denied`)).json()) as {
      origins: { origin: string; reason: string }[];
    };
    expect(denied.origins).toContainEqual(
      expect.objectContaining({ origin: ALLOWED, reason: 'origin-not-allowed' }),
    );
  });

  it('an upstream that never answers the handshake gets 504 after --upstream-timeout', async () => {
    const quick = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      tmp.file('quick.list', `${ALLOWED}\n`),
      '--upstream-timeout',
      '300',
    ]);
    try {
      const r = await rawExchange(quick.port, [HANDSHAKE]);
      expect(r.closed).toBe(true);
      expect(r.text.startsWith('HTTP/1.1 504 ')).toBe(true);
      expect(r.text).toContain('upstream timed out');
    } finally {
      await quick.stop();
    }
  });
});

describe('an https:// upstream', () => {
  it('gets the handshake over TLS, checked against its certificate, and messages echo', async () => {
    const tmp = tempDir();
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        `${tmp.dir}/key.pem`,
        '-out',
        `${tmp.dir}/cert.pem`,
      ]),
      { stdio: 'ignore' },
    );
    const server = createHttpsServer({
      key: readFileSync(`${tmp.dir}/key.pem`),
      cert: readFileSync(`${tmp.dir}/cert.pem`),
    });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const list = tmp.file('allowed_origins.list', `${ALLOWED}\n`);
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const [gw, untrusting] = await Promise.all([
      startGateway(['--upstream', url, '--allowlist', list], {
        admin: false,
        env: { NODE_EXTRA_CA_CERTS: `${tmp.dir}/cert.pem` },
      }),
      startGateway(['--upstream', url, '--allowlist', list], { admin: false }),
    ]);
    try {
      const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/chat`, { headers: { Origin: ALLOWED } });
      const echoed = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('over tls'));
        ws.once('message', (data) => resolve(String(data)));
        ws.once('error', reject);
      });
      expect(echoed).toBe('over tls');
      ws.close();
      expect(gw.stderr.join('')).toBe('');
      // Without the certificate among its CAs the gateway refuses the upstream: 502.
      const r = await rawExchange(untrusting.port, [HANDSHAKE]);
      expect(r.text.startsWith('HTTP/1.1 502 ')).toBe(true);
    } finally {
      await gw.stop();
      await untrusting.stop();
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      tmp.remove();
    }
  });
});
