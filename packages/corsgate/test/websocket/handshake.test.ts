/**
 * `decideHandshake` (corsgate/websocket): a WebSocket handshake decided like a state-changing
 * request, with a Policy or a live allowlist source; and the documented examples for `ws`
 * (verifyClient, handleUpgrade) and socket.io (allowRequest) run against real clients.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as ioClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAllowlistStore } from '../../src/allowlist/index.js';
import { createPolicy } from '../../src/engine/policy.js';
import { decideHandshake } from '../../src/websocket/index.js';

const ALLOWED = 'https://app.example.com';
const policy = createPolicy({ origins: [ALLOWED] });
const get = (headers: Record<string, string>) => ({ method: 'GET', headers });

describe('decideHandshake', () => {
  it('lets an allowed origin, no Origin, and the server’s own origin through', () => {
    expect(decideHandshake(policy, get({ origin: ALLOWED }))).toMatchObject({
      allowed: true,
      status: undefined,
      reason: 'origin-allowed',
    });
    expect(decideHandshake(policy, get({}))).toMatchObject({ allowed: true, reason: 'not-cors' });
    expect(
      decideHandshake(policy, get({ origin: 'https://api.example.com', host: 'api.example.com' }), {
        ownOrigins: ['https://api.example.com'],
        scheme: 'https',
      }),
    ).toMatchObject({ allowed: true, reason: 'same-origin' });
  });

  it('takes neither Host nor Sec-Fetch-Site as proof of the own origin (DNS rebinding)', () => {
    // A page on rebind.evil.example, its name pointed at the server: Host and Origin agree, and
    // the browser marks the handshake same-origin. Still cross-origin, still refused.
    const rebound = get({
      origin: 'https://rebind.evil.example',
      host: 'rebind.evil.example',
      'sec-fetch-site': 'same-origin',
    });
    expect(decideHandshake(policy, rebound, { scheme: 'https' })).toMatchObject({
      allowed: false,
      status: 403,
      reason: 'origin-not-allowed',
    });
    expect(
      decideHandshake(policy, rebound, { scheme: 'https', ownOrigins: ['https://api.example.com'] }),
    ).toMatchObject({ allowed: false, reason: 'origin-not-allowed' });
  });

  it('refuses every other origin with 403, where a plain GET would only be hidden', () => {
    for (const [origin, reason] of [
      ['https://evil.example', 'origin-not-allowed'],
      ['https://app.example.com.evil.example', 'origin-not-allowed'],
      ['http://app.example.com', 'origin-not-allowed'],
      ['https://APP.example.com', 'origin-malformed'],
      ['null', 'origin-null'],
      [`${ALLOWED}, https://evil.example`, 'origin-multiple'],
    ] as const) {
      const d = decideHandshake(policy, get({ origin }));
      expect(d, origin).toMatchObject({ allowed: false, status: 403, reason });
      expect(d.message).toBe(`cross-origin WebSocket refused (${reason})`);
    }
  });

  it('refuses a handshake that is not a GET', () => {
    expect(decideHandshake(policy, { method: 'POST', headers: { origin: ALLOWED } })).toMatchObject({
      allowed: false,
      status: 403,
    });
  });

  it('reads an allowlist source’s version in force on every call', async () => {
    const store = await createAllowlistStore({ initial: [ALLOWED] });
    expect(decideHandshake(store, get({ origin: 'https://new.example.com' })).allowed).toBe(false);
    await store.add('https://new.example.com');
    expect(decideHandshake(store, get({ origin: 'https://new.example.com' })).allowed).toBe(true);
    await store.remove(ALLOWED);
    expect(decideHandshake(store, get({ origin: ALLOWED })).allowed).toBe(false);
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function openWs(url: string, origin?: string): Promise<{ status: number; echoed?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => {
      ws.once('message', (data) => {
        resolve({ status: 101, echoed: String(data) });
        ws.close();
      });
      ws.send('ping');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.once('error', reject);
  });
}

describe.each([
  ['ws verifyClient', '../../../../examples/websocket/ws-verify-client.mjs'],
  ['ws handleUpgrade', '../../../../examples/websocket/ws-handle-upgrade.mjs'],
])('the documented %s example', (_name, path) => {
  it('echoes for an allowed origin and no origin, refuses others with 403, follows list changes', async () => {
    const { startChat } = (await import(path)) as {
      startChat(source: unknown): { server: Server; wss: { clients: Set<WebSocket> } };
    };
    const store = await createAllowlistStore({ initial: [ALLOWED] });
    const { server, wss } = startChat(store);
    const host = await listen(server);
    try {
      expect(await openWs(`ws://${host}/`, ALLOWED)).toEqual({ status: 101, echoed: 'ping' });
      expect(await openWs(`ws://${host}/`)).toEqual({ status: 101, echoed: 'ping' });
      expect(await openWs(`ws://${host}/`, 'https://evil.example')).toEqual({ status: 403 });
      expect(await openWs(`ws://${host}/`, 'https://app.example.com.evil.example')).toEqual({ status: 403 });
      await store.remove(ALLOWED);
      expect(await openWs(`ws://${host}/`, ALLOWED)).toEqual({ status: 403 });
    } finally {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('is quoted in docs/websocket.md as it is in examples/', () => {
    const doc = readFileSync(new URL('../../../../docs/websocket.md', import.meta.url), 'utf8');
    const code = readFileSync(new URL(path, import.meta.url), 'utf8');
    expect(doc).toContain(code.slice(code.indexOf('export function')).trim());
  });
});

describe('the documented socket.io example (allowRequest)', () => {
  const connect = (url: string, origin: string | undefined, transport: 'websocket' | 'polling') =>
    new Promise<string>((resolve) => {
      const socket = ioClient(url, {
        transports: [transport],
        reconnection: false,
        extraHeaders: origin === undefined ? {} : { Origin: origin },
      });
      socket.on('connect', () => {
        socket.emit('echo', 'hi', (text: string) => {
          resolve(`echo ${text}`);
          socket.close();
        });
      });
      socket.on('connect_error', (error) => {
        resolve(`refused ${error.message}`);
        socket.close();
      });
    });

  it('connects an allowed origin over WebSocket and polling; refuses another on both', async () => {
    const { startChat } = (await import('../../../../examples/websocket/socket-io.mjs')) as {
      startChat(source: unknown): { server: Server; io: { close(): Promise<void> } };
    };
    const { server, io } = startChat(policy);
    const url = `http://${await listen(server)}`;
    try {
      expect(await connect(url, ALLOWED, 'websocket')).toBe('echo hi');
      expect(await connect(url, ALLOWED, 'polling')).toBe('echo hi');
      expect(await connect(url, 'https://evil.example', 'websocket')).toMatch(/^refused /);
      expect(await connect(url, 'https://evil.example', 'polling')).toMatch(/^refused /);
    } finally {
      await io.close();
    }
  });

  it('is quoted in docs/websocket.md as it is in examples/', () => {
    const doc = readFileSync(new URL('../../../../docs/websocket.md', import.meta.url), 'utf8');
    const code = readFileSync(
      new URL('../../../../examples/websocket/socket-io.mjs', import.meta.url),
      'utf8',
    );
    expect(doc).toContain(code.slice(code.indexOf('export function')).trim());
  });
});
