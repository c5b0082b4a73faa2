/**
 * The gateway's other ways in, in a real engine (docs/websocket.md, docs/gateway.md "HTTP/2"):
 * - a page of an allowed origin opens a WebSocket through the gateway (wss, same TLS port) and
 *   its message echoes; a refused origin's page cannot open one, and the upstream never sees the
 *   handshake;
 * - the browser reaches the gateway over h2 with the same CORS outcomes as through the same
 *   gateway with --no-http2. Which protocol was used is read from `nextHopProtocol` where the
 *   engine reports it; an engine that reports none says so in the test's output.
 * Runs in the matrix's browser of each engine, against the suite's https page server.
 */
import { writeFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Gateway, startGateway, type TempDir, tempDir } from '../../packages/gateway/test/helpers.js';
import type { EngineContext, EnginePage } from './_engine.js';
import type { Suite } from './_harness.js';
import { closeServer, listen } from './_servers.js';

interface Seen {
  outcome: 'resolved' | 'rejected';
  status?: number;
  protocol?: string;
}

function openSocket(p: EnginePage, url: string): Promise<string> {
  return p.evaluate(
    (target: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(target);
        ws.onopen = () => ws.send('hello');
        ws.onmessage = (e) => {
          resolve(String(e.data));
          ws.close();
        };
        ws.onclose = (e) => resolve(`closed ${e.code}`);
      }),
    url,
  );
}

function fetchFrom(p: EnginePage, url: string, init: { method: string; body?: string }): Promise<Seen> {
  return p.evaluate(
    async ({ target, options }: { target: string; options: { method: string; body?: string } }) => {
      try {
        const r = await fetch(target, {
          ...options,
          headers: options.body ? { 'content-type': 'text/plain' } : {},
        });
        await r.text();
        const entry = performance.getEntriesByName(target).at(-1) as PerformanceResourceTiming | undefined;
        return { outcome: 'resolved' as const, status: r.status, protocol: entry?.nextHopProtocol ?? '' };
      } catch {
        return { outcome: 'rejected' as const };
      }
    },
    { target: url, options: init },
  );
}

export function defineGatewayProtocols(engineLabel: string, getSuite: () => Suite): void {
  let tmp: TempDir;
  let upstream: Server;
  let wss: WebSocketServer;
  const handshakes: IncomingMessage[] = [];
  const requests: { method: string; url: string }[] = [];
  let h2: Gateway;
  let h1: Gateway;
  let context: EngineContext;
  const allowedPage = (): string => `https://page.app.test:${getSuite().ports.https}`;
  const refusedPage = (): string => `https://evil.test:${getSuite().ports.https}`;
  const api = (gw: Gateway, path: string): string => `https://api.app.test:${gw.port}${path}`;

  describe(`the gateway's WebSocket and HTTP/2, in ${engineLabel}`, () => {
    beforeAll(async () => {
      const { tls } = getSuite();
      tmp = tempDir();
      const cert = join(tmp.dir, 'cert.pem');
      const key = join(tmp.dir, 'key.pem');
      writeFileSync(cert, tls.cert);
      writeFileSync(key, tls.key);
      // The upstream: a JSON API and a ws echo server on one port; it lets any page read its timing.
      upstream = createHttp((req, res) => {
        requests.push({ method: req.method ?? '', url: req.url ?? '' });
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'timing-allow-origin': '*' });
        res.end(JSON.stringify({ ok: true, method: req.method }));
      });
      wss = new WebSocketServer({ server: upstream });
      wss.on('connection', (ws, req) => {
        handshakes.push(req);
        ws.on('message', (data) => ws.send(`echo:${String(data)}`));
      });
      const upstreamPort = await listen(upstream);
      const list = tmp.file('allowed_origins.list', `${allowedPage()}\n`);
      const common = [
        '--upstream',
        `http://127.0.0.1:${upstreamPort}`,
        '--allowlist',
        list,
        '--tls-cert',
        cert,
        '--tls-key',
        key,
      ];
      h2 = await startGateway(common);
      h1 = await startGateway([...common, '--no-http2'], { admin: false });
      context = await getSuite().engine.newContext();
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await h2?.stop();
      await h1?.stop();
      for (const ws of wss?.clients ?? []) ws.terminate();
      wss?.close();
      if (upstream !== undefined) await closeServer(upstream);
      tmp?.remove();
    });

    it('a page of an allowed origin opens a socket (wss) and its message echoes', async () => {
      const before = handshakes.length;
      const p = await context.open(`${allowedPage()}/`);
      expect(await openSocket(p, `wss://api.app.test:${h2.port}/chat`)).toBe('echo:hello');
      expect(handshakes.length).toBe(before + 1);
      expect(handshakes.at(-1)!.headers.origin).toBe(allowedPage());
      await p.close();
    }, 60_000);

    it('a refused origin’s page cannot open one, and the upstream never sees the handshake', async () => {
      const before = handshakes.length;
      const p = await context.open(`${refusedPage()}/`);
      expect(await openSocket(p, `wss://api.app.test:${h2.port}/chat`)).toBe('closed 1006');
      expect(handshakes.length).toBe(before);
      const denied = (await (await fetch(`${h2.adminUrl}/denied`)).json()) as {
        origins: { origin: string }[];
      };
      expect(denied.origins.map((o) => o.origin)).toContain(refusedPage());
      await p.close();
    }, 60_000);

    it('fetches over h2, and over http/1.1 with --no-http2, with the same CORS outcomes', async () => {
      const outcomes: Record<string, Seen[]> = {};
      for (const [name, gw] of [
        ['h2', h2],
        ['http/1.1', h1],
      ] as const) {
        const allowed = await context.open(`${allowedPage()}/`);
        const refused = await context.open(`${refusedPage()}/`);
        const seen = [
          await fetchFrom(allowed, api(gw, `/data-${name}`), { method: 'GET' }),
          await fetchFrom(allowed, api(gw, `/put-${name}`), { method: 'PUT', body: 'x' }),
          await fetchFrom(refused, api(gw, `/data-${name}`), { method: 'GET' }),
          await fetchFrom(refused, api(gw, `/post-${name}`), { method: 'POST', body: 'transfer' }),
        ];
        const protocol = seen[0]?.protocol ?? '';
        if (protocol === '')
          process.stdout.write(
            `${engineLabel} reports no nextHopProtocol: the ${name} gateway's protocol is not checked\n`,
          );
        else expect(protocol).toBe(name);
        expect(seen[0]).toMatchObject({ outcome: 'resolved', status: 200 });
        outcomes[name] = seen.map(({ protocol: _p, ...rest }) => rest);
        await allowed.close();
        await refused.close();
      }
      expect(outcomes['h2']).toEqual([
        { outcome: 'resolved', status: 200 },
        // PUT is not among the allowed methods: the preflight fails, nothing is sent.
        { outcome: 'rejected' },
        { outcome: 'rejected' },
        { outcome: 'rejected' },
      ]);
      expect(outcomes['http/1.1']).toEqual(outcomes['h2']);
      // The refused origin's POST was blocked at the gateway both times; its GETs were forwarded.
      expect(requests.filter((r) => r.url.startsWith('/post-'))).toEqual([]);
      expect(requests.filter((r) => r.url.startsWith('/put-'))).toEqual([]);
      expect(requests.filter((r) => r.url.startsWith('/data-')).length).toBe(4);
    }, 90_000);
  });
}
