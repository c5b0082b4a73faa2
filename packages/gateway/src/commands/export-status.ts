/**
 * What `corsgate export nginx --watch` shows on its admin listener (`--admin-port`, docs/nginx.md
 * "Kept current"): `GET /export`, JSON: the list version the source applied, the one nginx runs
 * (written, checked, reloaded), and the last outcome with its reason. Read-only, nothing secret; it
 * binds `--admin-host` (loopback by default, as the gateway's admin listener).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ExportOutcome =
  | 'started'
  | 'reloaded'
  | 'rejected'
  | 'refused'
  | 'check-failed'
  | 'reload-failed';

export interface ExportStatus {
  readonly target: 'nginx';
  readonly out: string;
  /** The list version the source holds (its hash), whether or not nginx runs it. */
  list: { hash: string };
  /** The list version nginx runs: the last one written, checked and reloaded. */
  nginx: { hash: string | null; reloadedAt: string | null };
  last: { outcome: ExportOutcome; at: string; detail: string | null };
}

export async function startStatusListener(
  host: string,
  port: number,
  status: ExportStatus,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const known = req.url === '/export' && (req.method === 'GET' || req.method === 'HEAD');
    res.writeHead(known ? 200 : 404, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(known ? JSON.stringify(status) : '{"error":"not found"}');
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, host, listening);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () => new Promise<void>((closed) => server.close(() => closed())),
  };
}
