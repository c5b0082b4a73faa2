/** `--access-log`: one pino JSON line a request, off by default (docs/deploy.md "Access log"). */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  BIN,
  freePort,
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

let tmp: TempDir;
let upstream: Upstream;
let list: string;
beforeAll(async () => {
  tmp = tempDir();
  upstream = await startUpstream();
  list = tmp.file('ok.list', 'https://app.example.com\n');
});
afterAll(async () => {
  await upstream.close();
  tmp.remove();
});

const accessLines = (gw: Gateway): Record<string, unknown>[] =>
  gw.logs.filter((l) => l['event'] === 'access');

/** Three requests: an allowed forwarded GET, a refused POST, an allowed preflight. */
async function traffic(gw: Gateway): Promise<void> {
  const get = await fetch(`${gw.url}/slow?ms=30&token=secret`, {
    headers: { Origin: 'https://app.example.com' },
  });
  expect(get.status).toBe(200);
  await get.text();
  const post = await fetch(`${gw.url}/api/items`, {
    method: 'POST',
    headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
    body: 'x',
  });
  expect(post.status).toBe(403);
  await post.text();
  const pre = await fetch(`${gw.url}/api/items`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' },
  });
  expect(pre.status).toBe(204);
}

describe('access log', () => {
  it('is off by default: no access line for any request', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list]);
    try {
      await traffic(gw);
      // The gateway's own lines keep coming (a denial is logged), so the log is being read.
      await waitFor(() => gw.logs.some((l) => l['event'] === 'denied'), 5_000, 'the denial line');
      expect(accessLines(gw)).toEqual([]);
    } finally {
      await gw.stop();
    }
  });

  it('with --access-log writes one line a request: method, path, status, origin, decision, reason, upstream time', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list, '--access-log']);
    try {
      await traffic(gw);
      await waitFor(() => accessLines(gw).length === 3, 5_000, 'three access lines');
      const [get, post, pre] = accessLines(gw);
      expect(get).toMatchObject({
        level: 30,
        name: 'corsgate',
        msg: 'access',
        method: 'GET',
        path: '/slow',
        status: 200,
        origin: 'https://app.example.com',
        kind: 'actual',
        decision: 'allowed',
        reason: 'origin-allowed',
        outcome: 'forwarded',
      });
      // The upstream waited 30 ms before answering: that is its time, not the gateway's.
      expect(get!['upstreamMs']).toBeGreaterThanOrEqual(25);
      expect(get!['durationMs']).toBeGreaterThanOrEqual(get!['upstreamMs'] as number);
      expect(JSON.stringify(get)).not.toContain('secret');
      expect(post).toMatchObject({
        method: 'POST',
        path: '/api/items',
        status: 403,
        origin: 'https://evil.example',
        kind: 'actual',
        decision: 'refused',
        reason: 'origin-not-allowed',
        outcome: 'answered',
        upstreamMs: null,
      });
      expect(pre).toMatchObject({
        method: 'OPTIONS',
        status: 204,
        kind: 'preflight',
        decision: 'allowed',
        outcome: 'answered',
        upstreamMs: null,
      });
    } finally {
      await gw.stop();
    }
  });

  it('keeps writing under --log-level warn, switched on by CORSGATE_ACCESS_LOG', async () => {
    // At warn the gateway prints no "listening" line to wait for: poll its admin /health instead.
    const [port, adminPort] = [await freePort(), await freePort()];
    const proc = spawn(
      process.execPath,
      [BIN, 'serve', '--upstream', upstream.url, '--allowlist', list, '--log-level', 'warn'],
      {
        env: {
          ...process.env,
          CORSGATE_ACCESS_LOG: '1',
          CORSGATE_PORT: String(port),
          CORSGATE_ADMIN_PORT: String(adminPort),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise((r) => proc.on('exit', r));
    try {
      await waitFor(
        () =>
          fetch(`http://127.0.0.1:${adminPort}/health`).then(
            (r) => r.ok,
            () => false,
          ),
        15_000,
        'the admin listener',
      );
      const r = await fetch(`http://127.0.0.1:${port}/echo`);
      expect(r.status).toBe(200);
      await r.text();
      await waitFor(() => out.includes('"event":"access"'), 5_000, 'the access line');
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // Only the access line: the info-level "listening" line is quieted by --log-level warn.
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        event: 'access',
        path: '/echo',
        status: 200,
        origin: null,
        kind: 'not-cors',
        decision: 'allowed',
        reason: 'not-cors',
      });
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('says aborted when the client goes away before the response', async () => {
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', list, '--access-log']);
    try {
      await fetch(`${gw.url}/hang`, { signal: AbortSignal.timeout(300) }).catch(() => undefined);
      await waitFor(() => accessLines(gw).length === 1, 5_000, 'the access line');
      expect(accessLines(gw)[0]).toMatchObject({
        path: '/hang',
        status: null,
        outcome: 'aborted',
        upstreamMs: null,
      });
    } finally {
      await gw.stop();
    }
  });

  it('writes one line a WebSocket handshake: 403 when refused, 101 with its close and bytes when it was open', async () => {
    const wsServer = createServer();
    const wss = new WebSocketServer({ server: wsServer });
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
    await new Promise<void>((r) => wsServer.listen(0, '127.0.0.1', r));
    const wsUpstream = `http://127.0.0.1:${(wsServer.address() as AddressInfo).port}`;
    const gw = await startGateway(['--upstream', wsUpstream, '--allowlist', list, '--access-log']);
    try {
      const url = `${gw.url.replace(/^http/, 'ws')}/live?token=secret`;
      const refused = new WebSocket(url, { origin: 'https://evil.example' });
      await new Promise((r) => refused.once('unexpected-response', (_q, res) => r(res.resume())));
      const open = new WebSocket(url, { origin: 'https://app.example.com' });
      await new Promise((r) => open.once('open', r));
      await new Promise((r) => {
        open.once('message', r);
        open.send('ping');
      });
      open.close(1000);
      await waitFor(() => accessLines(gw).length === 2, 5_000, 'two access lines');
      const [no, yes] = accessLines(gw);
      expect(no).toMatchObject({
        method: 'GET',
        path: '/live',
        status: 403,
        origin: 'https://evil.example',
        decision: 'refused',
        reason: 'origin-not-allowed',
        outcome: 'websocket',
        upstreamMs: null,
      });
      expect(yes).toMatchObject({
        path: '/live',
        status: 101,
        origin: 'https://app.example.com',
        decision: 'allowed',
        outcome: 'websocket',
        // The client sent the close frame; the upstream answered it and, as RFC 6455 §7.1.1 has
        // the server do, ended the TCP connection first.
        websocket: { closed: 'upstream' },
      });
      expect((yes!['websocket'] as { toUpstream: number }).toUpstream).toBeGreaterThan(0);
      expect(JSON.stringify(yes)).not.toContain('secret');
    } finally {
      await gw.stop();
      wss.close();
      wsServer.closeAllConnections();
      await new Promise((r) => wsServer.close(r));
    }
  });
});
