/**
 * The admin listener: separate from traffic, loopback by default. JSON views, `POST /reload`, the
 * allowlist write API and the audit log (docs/gateway.md "Admin endpoints"), and the console at `/`
 * (docs/console.md). Every request passes the same checks first: cross-site state changes are
 * refused, then the token, then the route. The same handler serves one process (a local backend)
 * or the cluster primary (a backend that asks every worker over IPC).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AllowlistIssue, AllowlistSnapshot } from 'corsgate/allowlist';
import { apiRoute } from './api.js';
import type { CandidateView } from './console/candidate-view.js';
import { consoleRoute } from './console/routes.js';
import { type AdminAuth, crossSiteReason, isStateChange } from './guard.js';
import { isOwnHost } from './host.js';
import { sendJson } from './http.js';
import type { ListWrites } from './writes.js';

export interface AdminBackend {
  ready(): Promise<{ ready: boolean; detail: object }>;
  reload(): Promise<object>;
  allowlist(): Promise<object>;
  denied(limit: number): Promise<object>;
  /**
   * `/denied?scope=fleet`: the refused origins counted by every node sharing this Redis source
   * (docs/sources.md "Fleet view"); absent with a file source.
   */
  readonly fleetDenied?: (limit: number) => Promise<object>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Writes to the source in force; absent where this process cannot write. */
  readonly writes?: ListWrites;
  /** The version in force, for explain and the console; absent in the cluster primary. */
  readonly snapshot?: () => AllowlistSnapshot;
  /** The candidate list evaluated beside the one in force (docs/console.md "Candidate lists"). */
  readonly candidate?: CandidateControl;
  /** Every origin seen, allowed or refused, with counts (for `corsgate suggest`). */
  origins?(limit: number): Promise<object>;
}

export interface CandidateControl {
  view(): CandidateView | undefined;
  /** The candidate's text, to promote. */
  text(): Promise<string | undefined>;
  /** Stages a text; returns its lint errors (a text with errors is kept, not evaluated). */
  stage(text: string): readonly AllowlistIssue[];
  drop(): void;
  /** After a promotion: nothing differs any more. */
  promoted(): void;
}

/** One admin request, after the checks: who asked (a token name) and from where. */
export interface AdminContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly who: string | undefined;
  readonly address: string;
  readonly backend: AdminBackend;
  readonly auth: AdminAuth;
}

/** A route handler: true when it answered. */
export type AdminRoute = (ctx: AdminContext) => boolean;

export const UNAUTHORIZED = {
  error: 'a valid admin token is required: Authorization: Bearer TOKEN',
  code: 'CG_GATEWAY_ADMIN_UNAUTHORIZED',
};

/**
 * Reachable without a token even off loopback: liveness says nothing but "ok", readiness only
 * whether the list is loaded (and its version number). A kubelet or load balancer probe carries no
 * token (docs/deploy.md "Health probes").
 */
const OPEN_PATHS = new Set(['/health', '/ready', '/console/sign-in', '/console.css']);

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
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // First: a page that rebinds its DNS name to this address must get nothing (admin/host.ts).
    if (!isOwnHost(req.headers.host, server.address() as AddressInfo, allowed)) {
      req.resume();
      sendJson(res, 421, {
        error:
          'misdirected request: this admin listener answers only to its own address or a configured name',
        code: 'CG_GATEWAY_ADMIN_HOST',
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://admin');
    if (isStateChange(req.method)) {
      const crossSite = crossSiteReason(req);
      if (crossSite !== undefined) {
        req.resume();
        sendJson(res, 403, {
          error: `cross-site request refused (${crossSite}): the admin listener takes no state change from another site`,
          code: 'CG_GATEWAY_ADMIN_CROSS_SITE',
        });
        return;
      }
    }
    const who = auth.who(req);
    const ctx: AdminContext = {
      req,
      res,
      url,
      who,
      address: req.socket.remoteAddress ?? '',
      backend,
      auth,
    };
    const open = OPEN_PATHS.has(url.pathname) || (url.pathname === '/' && req.method === 'GET');
    if (who === undefined && !auth.loopback && !open) {
      req.resume();
      sendJson(res, 401, UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer realm="corsgate-admin"' });
      return;
    }
    if (consoleRoute(ctx) || apiRoute(ctx)) return;
    req.resume();
    sendJson(res, 404, { error: 'not found', code: 'CG_GATEWAY_ADMIN_NOT_FOUND' });
  });
  return server;
}
