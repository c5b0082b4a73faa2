/**
 * The admin listener: separate from traffic, loopback by default. Read-only JSON views plus
 * `POST /reload`. The same handler serves one process (a local backend) or the cluster primary
 * (a backend that asks every worker over IPC).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface AdminBackend {
  ready(): Promise<{ ready: boolean; detail: object }>;
  reload(): Promise<object>;
  allowlist(): Promise<object>;
  denied(limit: number): Promise<object>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

function send(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(text);
}

export function createAdminServer(backend: AdminBackend): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = `${req.method} ${url.pathname}`;
    const fail = (error: unknown): void =>
      send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    switch (route) {
      case 'GET /health':
      case 'HEAD /health':
        send(res, 200, { status: 'ok' });
        return;
      case 'GET /ready':
        backend.ready().then((r) => send(res, r.ready ? 200 : 503, { ready: r.ready, ...r.detail }), fail);
        return;
      case 'GET /metrics':
        backend.metrics().then((m) => {
          res.writeHead(200, { 'Content-Type': m.contentType, 'Cache-Control': 'no-store' });
          res.end(m.body);
        }, fail);
        return;
      case 'POST /reload':
        req.resume();
        backend.reload().then((r) => send(res, 200, r), fail);
        return;
      case 'GET /allowlist':
        backend.allowlist().then((r) => send(res, 200, r), fail);
        return;
      case 'GET /denied': {
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 10_000);
        backend.denied(limit).then((r) => send(res, 200, r), fail);
        return;
      }
      default: {
        const known = ['/health', '/ready', '/metrics', '/reload', '/allowlist', '/denied'];
        if (known.includes(url.pathname)) {
          send(
            res,
            405,
            { error: `method ${req.method} not allowed on ${url.pathname}` },
            {
              Allow: url.pathname === '/reload' ? 'POST' : 'GET',
            },
          );
          return;
        }
        send(res, 404, { error: 'not found', endpoints: known });
      }
    }
  });
}
