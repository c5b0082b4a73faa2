/** Listening and closing, shared by the worker and the cluster primary. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AdminBackend, createAdminServer } from '../admin/admin.js';
import { AdminAuth } from '../admin/guard.js';
import { isLoopbackHost } from '../config/admin-tokens.js';
import type { GatewayConfig } from '../config/types.js';

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export function urlOf(scheme: string, a: AddressInfo): string {
  return `${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The admin listener over `backend`, listening; `undefined` with `--admin-port 0`. */
export async function startAdmin(
  config: GatewayConfig,
  backend: AdminBackend,
): Promise<{ server: Server; url: string } | undefined> {
  if (config.adminPort === 0) return undefined;
  const auth = new AdminAuth(config.adminTokens, isLoopbackHost(config.adminHost));
  const server = createAdminServer(backend, auth, [config.adminHost, ...config.adminAllowedHosts]);
  const url = urlOf('http', await listen(server, config.adminPort, config.adminHost));
  return { server, url };
}

/** Closes the admin listener and every connection it holds. */
export async function closeAdmin(admin: { server: Server } | undefined): Promise<void> {
  if (admin === undefined) return;
  admin.server.closeAllConnections();
  await closeServer(admin.server);
}
