/**
 * WebSockets through the spawned gateway, with a real `ws` server upstream and real `ws` clients
 * (docs/websocket.md): the handshake's Origin is decided like a state-changing request; a refused
 * one never reaches the upstream; open sockets whose origin a new list version refuses get 1008.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type Gateway, raw, startGateway, type TempDir, tempDir, waitFor } from './helpers.js';

interface WsUpstream {
  url: string;
  handshakes: IncomingMessage[];
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

/** A real ws server that echoes every message, and answers `GET /plain` over HTTP. */
async function startWsUpstream(): Promise<WsUpstream> {
  const handshakes: IncomingMessage[] = [];
  const sockets = new Set<WebSocket>();
  const server: Server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024 });
  wss.on('connection', (ws, req) => {
    handshakes.push(req);
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (String(data) === 'close-from-upstream') ws.close(4000, 'upstream says bye');
      else ws.send(data, { binary: isBinary });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes,
    sockets,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Opened {
  ws: WebSocket;
  status?: number;
  body?: string;
}

/** Opens a socket; resolves with it once open, or with the HTTP status the handshake got. */
function open(url: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ ws, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function echo(ws: WebSocket, message: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(data as Buffer));
    ws.send(message);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string; at: number }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason), at: Date.now() })),
  );
}

let tmp: TempDir;
let upstream: WsUpstream;
let gw: Gateway;
let wsUrl: string;
const ALLOWED = 'https://app.example.com';
beforeAll(async () => {
  tmp = tempDir();
  upstream = await startWsUpstream();
  tmp.file('allowed_origins.list', `${ALLOWED}\nhttps://other.example.com\n`);
  const config = tmp.file(
    'corsgate.yaml',
    [
      `upstream: ${upstream.url}`,
      'allowlist: allowed_origins.list',
      'routes:',
      '  - path: /public/*',
      '    origins: ["*"]',
      '    policy: { credentials: false }',
    ].join('\n'),
  );
  gw = await startGateway([
    '--config',
    config,
    '--websocket-idle-timeout',
    '0',
    '--public-origin',
    'https://gw.example.com',
  ]);
  wsUrl = gw.url.replace(/^http/, 'ws');
});
afterAll(async () => {
  await gw?.stop();
  await upstream?.close();
  tmp?.remove();
});

describe('a WebSocket handshake is decided like a state-changing request', () => {
  it('an allowed origin: 101 relayed, the handshake forwarded with its headers, messages echo both ways', async () => {
    const before = upstream.handshakes.length;
    const { ws, status } = await open(`${wsUrl}/chat?room=1`, { Origin: ALLOWED, 'X-Trace': 'abc' });
    expect(status).toBeUndefined();
    expect(String(await echo(ws, 'hello'))).toBe('hello');
    const seen = upstream.handshakes[before]!;
    expect(seen.url).toBe('/chat?room=1');
    expect(seen.headers.origin).toBe(ALLOWED);
    expect(seen.headers['x-trace']).toBe('abc');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe(new URL(gw.url).host);
    expect(seen.headers.host).toBe(new URL(upstream.url).host);
    ws.close();
  });

  it('no Origin (a non-browser client) is forwarded', async () => {
    const { ws, status } = await open(`${wsUrl}/chat`);
    expect(status).toBeUndefined();
    expect(String(await echo(ws, 'cli'))).toBe('cli');
    ws.close();
  });

  it('the gateway’s own origin (--public-origin) is forwarded', async () => {
    const { ws, status } = await open(`${wsUrl}/chat`, { Origin: 'https://gw.example.com' });
    expect(status).toBeUndefined();
    ws.close();
  });

  it('a refused origin and its look-alikes get 403 and never reach the upstream; /denied records them', async () => {
    const before = upstream.handshakes.length;
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'https://app-example.com',
      'http://app.example.com',
      'https://app.example.com:444',
      'https://APP.example.com',
      'null',
    ]) {
      const r = await open(`${wsUrl}/chat`, { Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(r.body, origin).toContain('cross-origin WebSocket refused');
    }
    expect(upstream.handshakes.length).toBe(before);
    const denied = (await (await fetch(`${gw.adminUrl}/denied`)).json()) as {
      origins: { origin: string; reason: string; sampleMethod: string; samplePath: string }[];
    };
    expect(denied.origins).toContainEqual(
      expect.objectContaining({
        origin: 'https://evil.example',
        reason: 'origin-not-allowed',
        samplePath: '/chat',
      }),
    );
    expect(denied.origins).toContainEqual(
      expect.objectContaining({ origin: 'https://APP.example.com', reason: 'origin-malformed' }),
    );
  });

  it('two Origin lines on a raw handshake are refused (origin-multiple), nothing forwarded', async () => {
    const before = upstream.handshakes.length;
    const r = await raw(
      gw.port,
      'GET /chat HTTP/1.1\nHost: x\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Version: 13\n' +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nOrigin: ${ALLOWED}\nOrigin: https://evil.example\n\n`,
    );
    expect(r.status).toBe(403);
    expect(r.body).toContain('origin-multiple');
    expect(upstream.handshakes.length).toBe(before);
  });

  it('routes apply to upgrades: /public/* takes any origin, the rest the allowlist', async () => {
    const pub = await open(`${wsUrl}/public/feed`, { Origin: 'https://evil.example' });
    expect(pub.status).toBeUndefined();
    expect(String(await echo(pub.ws, 'public'))).toBe('public');
    pub.ws.close();
    const api = await open(`${wsUrl}/api/feed`, { Origin: 'https://evil.example' });
    expect(api.status).toBe(403);
  });
});

describe('an open WebSocket through the gateway', () => {
  it('relays large messages both ways with back-pressure (16 MiB echoed intact)', async () => {
    const { ws } = await open(`${wsUrl}/chat`, { Origin: ALLOWED });
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    const back = await echo(ws, big);
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    ws.close();
  }, 30_000);

  it('passes the upstream’s close (code and reason) to the client', async () => {
    const { ws } = await open(`${wsUrl}/chat`, { Origin: ALLOWED });
    const done = closed(ws);
    ws.send('close-from-upstream');
    expect(await done).toMatchObject({ code: 4000, reason: 'upstream says bye' });
  });

  it('passes the client’s close to the upstream', async () => {
    const { ws } = await open(`${wsUrl}/chat`, { Origin: ALLOWED });
    await echo(ws, 'x');
    const count = upstream.sockets.size;
    ws.close(4001, 'client leaves');
    await waitFor(() => upstream.sockets.size === count - 1, 5_000, 'the upstream socket to close');
  });

  it('closes with 1008 within a second when a new list version no longer allows the origin; others stay open', async () => {
    const a = await open(`${wsUrl}/chat`, { Origin: ALLOWED });
    const b = await open(`${wsUrl}/chat`, { Origin: 'https://other.example.com' });
    const aClosed = closed(a.ws);
    const written = Date.now();
    tmp.atomic('allowed_origins.list', 'https://other.example.com\n');
    const c = await aClosed;
    expect(c.code).toBe(1008);
    expect(c.reason).toBe('origin no longer allowed');
    expect(c.at - written).toBeLessThan(1_000);
    expect(String(await echo(b.ws, 'still here'))).toBe('still here');
    b.ws.close();
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/corsgate_websocket_closed_total\{reason="policy"\} 1/);
    expect(metrics).toMatch(/corsgate_websocket_handshakes_total\{result="refused"\} \d+/);
    expect(metrics).toMatch(/corsgate_websocket_handshakes_total\{result="forwarded"\} \d+/);
    tmp.atomic('allowed_origins.list', `${ALLOWED}\nhttps://other.example.com\n`);
    await waitFor(
      async () => (await open(`${wsUrl}/chat`, { Origin: ALLOWED })).status === undefined,
      5_000,
      'the list back',
    );
  });
});

describe('WebSocket failures and limits', () => {
  it('answers 502 when the upstream is down, and an idle socket is closed with 1001', async () => {
    const list = tmp.file('idle.list', `${ALLOWED}\n`);
    const idle = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      list,
      '--websocket-idle-timeout',
      '300',
    ]);
    const down = await startGateway(['--upstream', 'http://127.0.0.1:1', '--allowlist', list]);
    try {
      const quiet = await open(`${idle.url.replace(/^http/, 'ws')}/chat`, { Origin: ALLOWED });
      const c = await closed(quiet.ws);
      expect(c).toMatchObject({ code: 1001, reason: 'idle timeout' });
      const r = await open(`${down.url.replace(/^http/, 'ws')}/chat`, { Origin: ALLOWED });
      expect(r.status).toBe(502);
    } finally {
      await idle.stop();
      await down.stop();
    }
  });

  it('refuses an upgrade to anything but websocket with 400', async () => {
    const r = await raw(gw.port, 'GET /chat HTTP/1.1\nHost: x\nConnection: Upgrade\nUpgrade: h2c\n\n');
    expect(r.status).toBe(400);
  });
});
