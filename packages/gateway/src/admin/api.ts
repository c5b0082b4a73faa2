/**
 * The admin JSON API (docs/gateway.md "Admin endpoints"): health, readiness, metrics, reload, the
 * allowlist in force and the denied origins, and the write API with its audit log
 * (docs/console.md "Writes"): `POST /allowlist/origins`, `DELETE /allowlist/origins?origin=`,
 * `PUT /allowlist`, `GET /audit`, `GET /explain`.
 */
import { AllowlistError } from 'corsgate/allowlist';
import { refuseBody } from './bodies.js';
import type { AdminContext } from './context.js';
import { explainRequest } from './explain.js';
import {
  expectedVersion,
  MALFORMED_VERSION,
  sendJson,
  sendProblem,
  sendText,
  sendUnauthorized,
} from './http.js';
import { adminAnswer, type ListChange, type WriteAnswer } from './writes.js';

const READS: Record<string, string> = {
  '/health': 'GET',
  '/ready': 'GET',
  '/metrics': 'GET',
  '/reload': 'POST',
  '/allowlist': 'GET, PUT',
  '/allowlist/origins': 'POST, DELETE',
  '/denied': 'GET',
  '/audit': 'GET',
  '/explain': 'GET',
  '/origins': 'GET',
  '/candidate': 'GET, PUT, DELETE',
  '/candidate/promote': 'POST',
};

function intParam(url: URL, name: string, fallback: number, max: number): number {
  return Math.min(Math.max(Number(url.searchParams.get(name) ?? fallback) || fallback, 1), max);
}

export function apiRoute(ctx: AdminContext): boolean {
  const { req, res, url, backend } = ctx;
  const fail = (error: unknown): void => failed(ctx, error);
  switch (`${req.method} ${url.pathname}`) {
    case 'GET /health':
    case 'HEAD /health':
      sendJson(res, 200, { status: 'ok' });
      return true;
    case 'GET /ready':
      backend.ready().then((r) => sendJson(res, r.ready ? 200 : 503, probeAnswer(r)), fail);
      return true;
    case 'GET /metrics':
      backend.metrics().then((m) => sendText(res, 200, m.contentType, m.body), fail);
      return true;
    case 'POST /reload':
      req.resume();
      backend.reload().then((r) => sendJson(res, 200, r), fail);
      return true;
    case 'GET /allowlist':
      backend.allowlist().then((r) => sendJson(res, 200, r), fail);
      return true;
    case 'GET /denied':
      denied(ctx, intParam(url, 'limit', 100, 10_000)).then((r) => sendJson(res, r.status, r.body), fail);
      return true;
    case 'GET /audit':
      if (backend.writes === undefined) return unavailable(ctx);
      backend.writes.audit
        .list(intParam(url, 'limit', 100, 10_000))
        // The records only: where the sink keeps them (a path on this host) is not the reader's business.
        .then((records) => sendJson(res, 200, { records }), fail);
      return true;
    case 'GET /explain':
      explain(ctx);
      return true;
    case 'GET /origins':
      if (backend.origins === undefined) return unavailable(ctx);
      backend.origins(intParam(url, 'limit', 1000, 10_000)).then((r) => sendJson(res, 200, r), fail);
      return true;
    case 'GET /candidate':
    case 'PUT /candidate':
    case 'DELETE /candidate':
    case 'POST /candidate/promote':
      candidate(ctx).catch(fail);
      return true;
    case 'POST /allowlist/origins':
    case 'DELETE /allowlist/origins':
    case 'PUT /allowlist':
      write(ctx);
      return true;
  }
  const allow = READS[url.pathname];
  if (allow === undefined) return false;
  req.resume();
  sendProblem(
    res,
    'CG_GATEWAY_ADMIN_METHOD',
    `method ${req.method} not allowed on ${url.pathname}`,
    {},
    { Allow: allow },
  );
  return true;
}

/**
 * What `/ready` says, open without a token for probes (docs/deploy.md "Health probes"): ready, the
 * version in force and the worker counts; never why a source is not ready (its host, port, user,
 * database and key are in `/allowlist` and the log, behind the token).
 */
function probeAnswer(r: { ready: boolean; detail: object }): object {
  const detail = r.detail as Record<string, unknown>;
  const shown: Record<string, unknown> = { ready: r.ready };
  for (const name of ['version', 'workers', 'listening'])
    if (typeof detail[name] === 'number') shown[name] = detail[name];
  return shown;
}

/**
 * Every failure after the route was chosen: a body refused (413, 503), the source that cannot be
 * read or reached (503 with the source's own code: nothing was written), or a bug (500).
 */
function failed(ctx: AdminContext, error: unknown): void {
  const { req, res } = ctx;
  if (res.headersSent) return;
  if (refuseBody(req, res, error)) return;
  if (error instanceof AllowlistError) sendJson(res, 503, { error: error.message, code: error.code });
  else sendProblem(res, 'CG_GATEWAY_ADMIN_INTERNAL', error instanceof Error ? error.message : String(error));
}

/** This node's refused origins, or with `?scope=fleet` the whole fleet's (a Redis source only). */
async function denied(ctx: AdminContext, limit: number): Promise<{ status: number; body: object }> {
  const scope = ctx.url.searchParams.get('scope') ?? 'local';
  if (scope === 'local') return { status: 200, body: await ctx.backend.denied(limit) };
  if (scope !== 'fleet')
    return adminAnswer(
      'CG_GATEWAY_ADMIN_BAD_REQUEST',
      `scope must be local or fleet, not "${scope.slice(0, 100)}"`,
    );
  if (ctx.backend.fleetDenied === undefined)
    return adminAnswer(
      'CG_GATEWAY_ADMIN_BAD_REQUEST',
      'scope=fleet needs a Redis allowlist source: with a file each node only knows its own',
    );
  return { status: 200, body: await ctx.backend.fleetDenied(limit) };
}

/** The candidate list: view (a read), stage, drop and promote (writes: a token, as for the list). */
async function candidate(ctx: AdminContext): Promise<void> {
  const { req, res, backend, who } = ctx;
  const control = backend.candidate;
  if (control === undefined) {
    unavailable(ctx);
    return;
  }
  if (req.method === 'GET') {
    sendJson(res, 200, control.view() ?? { source: null, differences: [] });
    return;
  }
  if (who === undefined) {
    req.resume();
    sendUnauthorized(res);
    return;
  }
  if (req.method === 'DELETE') {
    req.resume();
    control.drop();
    sendJson(res, 200, { source: null, differences: [] });
    return;
  }
  if (req.method === 'PUT') {
    const errors = control.stage(await ctx.bodies.read(req, true));
    sendJson(res, errors.length > 0 ? 422 : 200, {
      ...control.view(),
      ...(errors.length > 0
        ? { error: 'the candidate has errors; it is kept but not evaluated', code: errors[0]!.code }
        : {}),
    });
    return;
  }
  req.resume();
  await promote(ctx, control);
}

/** `POST /candidate/promote`: the candidate's text as one version, under the one rule for If-Match. */
async function promote(
  ctx: AdminContext,
  control: NonNullable<AdminContext['backend']['candidate']>,
): Promise<void> {
  const { req, res, backend, who } = ctx;
  const expected = expectedVersion(req.headers['if-match']);
  if (!expected.ok) {
    sendProblem(res, 'CG_GATEWAY_ADMIN_BAD_REQUEST', MALFORMED_VERSION);
    return;
  }
  const text = await control.text();
  if (text === undefined || backend.writes === undefined) {
    sendProblem(res, 'CG_GATEWAY_ADMIN_NOT_FOUND', 'there is no candidate list to promote');
    return;
  }
  const answer = await backend.writes.apply({ action: 'promote', text }, expected.version, {
    token: who!,
    address: ctx.address,
  });
  if (answer.status === 200) control.promoted();
  sendAnswer(ctx, answer);
}

function sendAnswer(ctx: AdminContext, answer: WriteAnswer): void {
  const version = answer.body['version'];
  sendJson(ctx.res, answer.status, answer.body, typeof version === 'number' ? { ETag: `"${version}"` } : {});
}

function unavailable(ctx: AdminContext): true {
  ctx.req.resume();
  sendProblem(
    ctx.res,
    'CG_GATEWAY_ADMIN_UNAVAILABLE',
    'this process cannot serve this (with --workers, /origins and /candidate live in each worker)',
  );
  return true;
}

function explain(ctx: AdminContext): void {
  const { url, res, backend } = ctx;
  const origin = url.searchParams.get('origin');
  if (backend.snapshot === undefined) {
    unavailable(ctx);
    return;
  }
  if (origin === null) {
    sendProblem(res, 'CG_GATEWAY_ADMIN_BAD_REQUEST', 'origin is required');
    return;
  }
  const out = explainRequest(
    backend.snapshot(),
    origin,
    url.searchParams.get('method') ?? 'GET',
    url.searchParams.getAll('header'),
  );
  if (!out.ok) sendProblem(res, 'CG_GATEWAY_ADMIN_BAD_REQUEST', out.problems.join('; '));
  else sendJson(res, 200, out.result);
}

/** The change a write request asks for, or the 400 answer. */
async function changeOf(ctx: AdminContext): Promise<ListChange | WriteAnswer> {
  const { req, url } = ctx;
  const bad = (error: string): WriteAnswer => adminAnswer('CG_GATEWAY_ADMIN_BAD_REQUEST', error);
  if (req.method === 'DELETE') {
    req.resume();
    const origin = url.searchParams.get('origin');
    return origin === null || origin === '' ? bad('?origin= is required') : { action: 'remove', origin };
  }
  const body = await ctx.bodies.read(req, true);
  if (req.method === 'PUT') return { action: 'replace', text: body };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return bad('the body must be JSON: {"origin": "https://app.example.com"}');
  }
  const origin = (parsed as { origin?: unknown } | null)?.origin;
  return typeof origin === 'string' && origin !== ''
    ? { action: 'add', origin }
    : bad('the body must be JSON: {"origin": "https://app.example.com"}');
}

function write(ctx: AdminContext): void {
  const { req, res, backend, who } = ctx;
  if (who === undefined) {
    req.resume();
    sendUnauthorized(res);
    return;
  }
  if (backend.writes === undefined) {
    unavailable(ctx);
    return;
  }
  const expected = expectedVersion(req.headers['if-match']);
  if (!expected.ok) {
    req.resume();
    sendProblem(res, 'CG_GATEWAY_ADMIN_BAD_REQUEST', MALFORMED_VERSION);
    return;
  }
  const run = async (): Promise<WriteAnswer> => {
    const change = await changeOf(ctx);
    if ('status' in change) return change;
    return backend.writes!.apply(change, expected.version, { token: who, address: ctx.address });
  };
  run().then(
    (answer) => sendAnswer(ctx, answer),
    (error: unknown) => failed(ctx, error),
  );
}
