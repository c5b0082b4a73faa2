/**
 * The admin JSON API (docs/gateway.md "Admin endpoints"): health, readiness, metrics, reload, the
 * allowlist in force and the denied origins, and the write API with its audit log
 * (docs/console.md "Writes"): `POST /allowlist/origins`, `DELETE /allowlist/origins?origin=`,
 * `PUT /allowlist`, `GET /audit`, `GET /explain`.
 */
import { AllowlistError } from 'corsgate/allowlist';
import type { AdminContext } from './admin.js';
import { UNAUTHORIZED } from './admin.js';
import { explainRequest } from './explain.js';
import { BodyTooLarge, ifMatchVersion, readBody, sendJson, sendText } from './http.js';
import type { ListChange, WriteAnswer } from './writes.js';

/** Largest body a write takes: a 100,000-line list is about 4 MB. */
export const MAX_WRITE_BYTES = 16 * 1024 * 1024;

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
  const fail = (error: unknown): void =>
    sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
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
  sendJson(res, 405, { error: `method ${req.method} not allowed on ${url.pathname}` }, { Allow: allow });
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

/** This node's refused origins, or with `?scope=fleet` the whole fleet's (a Redis source only). */
async function denied(ctx: AdminContext, limit: number): Promise<{ status: number; body: object }> {
  const scope = ctx.url.searchParams.get('scope') ?? 'local';
  if (scope === 'local') return { status: 200, body: await ctx.backend.denied(limit) };
  if (scope !== 'fleet')
    return { status: 400, body: { error: `scope must be local or fleet, not "${scope}"` } };
  if (ctx.backend.fleetDenied === undefined)
    return {
      status: 400,
      body: { error: 'scope=fleet needs a Redis allowlist source: with a file each node only knows its own' },
    };
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
    sendJson(res, 401, UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer realm="corsgate-admin"' });
    return;
  }
  if (req.method === 'DELETE') {
    req.resume();
    control.drop();
    sendJson(res, 200, { source: null, differences: [] });
    return;
  }
  if (req.method === 'PUT') {
    const errors = control.stage(await readBody(req, MAX_WRITE_BYTES));
    sendJson(res, errors.length > 0 ? 422 : 200, {
      ...control.view(),
      ...(errors.length > 0
        ? { error: 'the candidate has errors; it is kept but not evaluated', code: errors[0]!.code }
        : {}),
    });
    return;
  }
  req.resume();
  const text = await control.text();
  if (text === undefined || backend.writes === undefined) {
    sendJson(res, 404, {
      error: 'there is no candidate list to promote',
      code: 'CG_GATEWAY_ADMIN_NOT_FOUND',
    });
    return;
  }
  const expected = ifMatchVersion(req.headers['if-match']);
  const answer = await backend.writes.apply(
    { action: 'promote', text },
    Number.isNaN(expected) ? undefined : expected,
    { token: who, address: ctx.address },
  );
  if (answer.status === 200) control.promoted();
  const version = answer.body['version'];
  sendJson(res, answer.status, answer.body, typeof version === 'number' ? { ETag: `"${version}"` } : {});
}

function unavailable(ctx: AdminContext): true {
  ctx.req.resume();
  sendJson(ctx.res, 501, {
    error: 'this process cannot serve this (with --workers, /origins and /candidate live in each worker)',
    code: 'CG_GATEWAY_ADMIN_UNAVAILABLE',
  });
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
    sendJson(res, 400, { error: 'origin is required', code: 'CG_GATEWAY_ADMIN_BAD_REQUEST' });
    return;
  }
  const out = explainRequest(
    backend.snapshot(),
    origin,
    url.searchParams.get('method') ?? 'GET',
    url.searchParams.getAll('header'),
  );
  if (!out.ok) sendJson(res, 400, { error: out.problems.join('; '), code: 'CG_GATEWAY_ADMIN_BAD_REQUEST' });
  else sendJson(res, 200, out.result);
}

/** The change a write request asks for, or the 400 answer. */
async function changeOf(ctx: AdminContext): Promise<ListChange | WriteAnswer> {
  const { req, url } = ctx;
  const bad = (error: string): WriteAnswer => ({
    status: 400,
    body: { error, code: 'CG_GATEWAY_ADMIN_BAD_REQUEST' },
  });
  if (req.method === 'DELETE') {
    req.resume();
    const origin = url.searchParams.get('origin');
    return origin === null || origin === '' ? bad('?origin= is required') : { action: 'remove', origin };
  }
  const body = await readBody(req, MAX_WRITE_BYTES);
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
    sendJson(res, 401, UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer realm="corsgate-admin"' });
    return;
  }
  if (backend.writes === undefined) {
    unavailable(ctx);
    return;
  }
  const expected = ifMatchVersion(req.headers['if-match']);
  if (Number.isNaN(expected)) {
    req.resume();
    sendJson(res, 400, { error: 'If-Match must be a version: "7"', code: 'CG_GATEWAY_ADMIN_BAD_REQUEST' });
    return;
  }
  const run = async (): Promise<WriteAnswer> => {
    const change = await changeOf(ctx);
    if ('status' in change) return change;
    return backend.writes!.apply(change, expected, { token: who, address: ctx.address });
  };
  run().then(
    (answer) => {
      const version = answer.body['version'];
      sendJson(res, answer.status, answer.body, typeof version === 'number' ? { ETag: `"${version}"` } : {});
    },
    (error: unknown) => {
      if (error instanceof BodyTooLarge)
        sendJson(res, 413, { error: error.message, code: 'CG_GATEWAY_ADMIN_BAD_REQUEST' });
      // The source cannot be read or reached (Redis down, the file unreadable): nothing was written.
      else if (error instanceof AllowlistError)
        sendJson(res, 503, { error: error.message, code: error.code });
      else sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    },
  );
}
