/**
 * The admin listener: separate from traffic, loopback by default. JSON views, `POST /reload`, the
 * allowlist write API and the audit log (docs/gateway.md "Admin endpoints"), and the console at `/`
 * (docs/console.md). Every request passes the same checks first: cross-site state changes are
 * refused, then the token, then the route. The same handler serves one process (a local backend)
 * or the cluster primary (a backend that asks every worker over IPC).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiRoute } from './api.js';
import { AdminBodies } from './bodies.js';
import { consoleRoute } from './console/routes.js';
import type { AdminBackend, AdminContext } from './context.js';
import { type AdminAuth, crossSiteReason, isStateChange } from './guard.js';
import { isOwnHost } from './host.js';
import { sendProblem, sendUnauthorized } from './http.js';
import { Notices } from './notices.js';

export type { AdminBackend, AdminContext, AdminRoute, CandidateControl } from './context.js';

/**
 * Reachable without a token even off loopback: liveness says nothing but "ok", readiness only
 * whether the list is loaded (and its version number). A kubelet or load balancer probe carries no
 * token (docs/deploy.md "Health probes").
 */
const OPEN_PATHS = new Set(['/health', '/ready', '/console/sign-in', '/console.css']);

/** A whole request (headers and body) must arrive within this; a slow upload holds no budget for long. */
const ADMIN_REQUEST_TIMEOUT_MS = 60_000;

/**
 * @param names host names the listener answers to besides its own address (`--admin-host`, and
 *   every `--admin-allowed-host`)
 */
export function createAdminServer(
  backend: AdminBackend,
  auth: AdminAuth,
  names: readonly string[] = [],
): Server {
  const allowed = new Set(names.map((n) => n.toLowerCase()));
  const bodies = new AdminBodies();
  const notices = new Notices();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // First: a page that rebinds its DNS name to this address must get nothing (admin/host.ts).
    if (!isOwnHost(req.headers.host, server.address() as AddressInfo, allowed)) {
      req.resume();
      sendProblem(
        res,
        'CG_GATEWAY_ADMIN_HOST',
        'misdirected request: this admin listener answers only to its own address or a configured name',
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://admin');
    if (isStateChange(req.method)) {
      const crossSite = crossSiteReason(req);
      if (crossSite !== undefined) {
        req.resume();
        sendProblem(
          res,
          'CG_GATEWAY_ADMIN_CROSS_SITE',
          `cross-site request refused (${crossSite}): the admin listener takes no state change from another site`,
        );
        return;
      }
    }
    const who = auth.who(req);
    const address = req.socket.remoteAddress ?? '';
    const ctx: AdminContext = { req, res, url, who, address, backend, auth, bodies, notices };
    const open = OPEN_PATHS.has(url.pathname) || (url.pathname === '/' && req.method === 'GET');
    if (who === undefined && !auth.loopback && !open) {
      req.resume();
      sendUnauthorized(res);
      return;
    }
    if (consoleRoute(ctx) || apiRoute(ctx)) return;
    req.resume();
    sendProblem(res, 'CG_GATEWAY_ADMIN_NOT_FOUND', 'not found');
  });
  server.requestTimeout = ADMIN_REQUEST_TIMEOUT_MS;
  return server;
}
