/**
 * The console's routes on the admin listener (docs/console.md): `GET /` renders the page,
 * `GET /console.css` its stylesheet, and each `POST /console/...` form applies one change through
 * the same write path as the JSON API, then redirects back (303) or shows the page with the error.
 */
import { AllowlistError, type AllowlistIssue, type AllowlistSnapshot } from 'corsgate/allowlist';
import type { DeniedView } from '../../views/denied.js';
import { closeAfter, refuseBody } from '../bodies.js';
import type { AdminContext } from '../context.js';
import { explainRequest, matchingEntry } from '../explain.js';
import { SESSION_COOKIE, Sessions } from '../guard.js';
import { cookie, expectedVersion, MALFORMED_VERSION, SECURITY_HEADERS, sendText } from '../http.js';
import type { ListChange, WriteAnswer } from '../writes.js';
import { buildFailureView, failureSection } from './explain-view.js';
import { LINES_PER_PAGE, listState } from './list-state.js';
import {
  type ConsoleData,
  type ListState,
  type Notice,
  renderConsole,
  renderShell,
  type StatusState,
} from './page.js';
import { CONSOLE_CSS } from './style.js';

/** No script, no external anything: styles from this listener, forms back to it, never framed. */
export const CONSOLE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type Extra = Partial<Pick<ConsoleData, 'notice' | 'preview'>>;

function sendPage(
  ctx: AdminContext,
  status: number,
  data: ConsoleData,
  extra: Record<string, string> = {},
): void {
  sendText(ctx.res, status, 'text/html; charset=utf-8', renderConsole(data), {
    'Content-Security-Policy': CONSOLE_CSP,
    ...extra,
  });
}

function redirect(ctx: AdminContext, location: string, extra: Record<string, string> = {}): void {
  ctx.res.writeHead(303, { ...SECURITY_HEADERS, Location: location, 'Content-Length': 0, ...extra });
  ctx.res.end();
}

/**
 * Whose notice it is: the console session (its cookie), or for a client with a bearer token and no
 * session, the token's name. Another session of the same token does not see it.
 */
function noticeOwner(ctx: AdminContext): string | undefined {
  if (ctx.who === undefined) return undefined;
  const session = cookie(ctx.req, SESSION_COOKIE);
  return session === undefined ? `token:${ctx.who}` : `session:${session}`;
}

/** The notice a redirect after a change carries, by its one-time id (admin/notices.ts). */
function doneNotice(ctx: AdminContext): Notice | undefined {
  return ctx.notices.take(ctx.url.searchParams.get('notice'), noticeOwner(ctx));
}

async function gather(ctx: AdminContext, extra: Extra): Promise<ConsoleData> {
  const { backend, auth, who, url } = ctx;
  const canRead = auth.loopback || who !== undefined;
  const base = {
    who,
    tokensConfigured: auth.tokens.length > 0,
    canRead,
    canWrite: who !== undefined && backend.writes !== undefined,
    candidateAvailable: backend.candidate !== undefined,
    denied: [] as DeniedView[],
    audit: [],
    ...extra,
  };
  if (!canRead) return base;
  const notice = extra.notice ?? doneNotice(ctx);
  const [view, denied, audit, read, candidate] = await Promise.all([
    (backend.status?.() ?? backend.allowlist()) as Promise<StatusState & { path: string }>,
    backend.denied(100) as Promise<{ origins?: DeniedView[] }>,
    backend.writes?.audit.list(50) ?? Promise.resolve([]),
    listOrOutage(ctx),
    backend.candidate?.view(),
  ]);
  const { list, outage } = read;
  const snapshot = backend.snapshot?.();
  const data: ConsoleData = {
    ...base,
    ...(outage === undefined ? {} : { canWrite: false, notice: notice ?? outage }),
    status: view,
    denied: (denied.origins ?? []).map((d) => ({
      ...d,
      listedAt: snapshot === undefined ? null : (matchingEntry(snapshot, d.origin)?.line ?? null),
    })),
    audit,
    ...(notice === undefined ? {} : { notice }),
    ...(candidate === undefined ? {} : { candidate }),
    ...(list === undefined ? {} : { list: { ...list, path: view.path } }),
  };
  const explainOrigin = url.searchParams.get('explain_origin');
  return explainOrigin === null || backend.snapshot === undefined
    ? data
    : { ...data, explain: explainOf(ctx, explainOrigin) };
}

/**
 * The list as the source holds it, or, when the source cannot be read or reached (Redis down) or
 * has lost its text (the file deleted, Redis wiped), the version in force with a notice saying so:
 * it keeps deciding, and the page offers no change (docs/console.md "During an outage").
 */
async function listOrOutage(ctx: AdminContext): Promise<{ list?: Omit<ListState, 'path'>; outage?: Notice }> {
  const { backend, url } = ctx;
  if (backend.writes === undefined) return {};
  const snapshot = backend.snapshot?.();
  try {
    return { list: await listState(backend.writes, snapshot, Number(url.searchParams.get('lines') ?? 1)) };
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    const outage: Notice = {
      kind: 'warn',
      text: `The source cannot be used (${error.code}: ${error.message.replace(/^corsgate: /, '')}). The version in force below keeps deciding every request; changes are refused until the source is back.`,
    };
    return snapshot === undefined ? { outage } : { outage, list: inForceState(snapshot) };
  }
}

/** The version in force as the console shows it when the source cannot: its entries, one a line. */
function inForceState(snapshot: AllowlistSnapshot): Omit<ListState, 'path'> {
  const shown = snapshot.entries.slice(0, LINES_PER_PAGE);
  return {
    version: snapshot.version,
    inForce: true,
    issues: [],
    entryCount: snapshot.entries.length,
    entries: new Map(shown.map((e, i) => [i + 1, e.origin])),
    page: { from: 1, lines: shown.map((e) => e.origin), size: LINES_PER_PAGE },
    totalLines: snapshot.entries.length,
  };
}

function explainOf(ctx: AdminContext, origin: string): NonNullable<ConsoleData['explain']> {
  const method = ctx.url.searchParams.get('explain_method') || 'GET';
  const headers = ctx.url.searchParams.get('explain_headers') ?? '';
  const lines = headers
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const out = explainRequest(ctx.backend.snapshot!(), origin.trim(), method.trim(), lines);
  return out.ok
    ? { origin, method, headers, result: out.result }
    : { origin, method, headers, problems: out.problems };
}

function page(
  ctx: AdminContext,
  status: number,
  extra: Extra = {},
  headers: Record<string, string> = {},
): void {
  gather(ctx, extra).then(
    (data) => sendPage(ctx, status, data, headers),
    (error: unknown) => sendText(ctx.res, 500, 'text/plain; charset=utf-8', `console: ${String(error)}\n`),
  );
}

function answerNotice(answer: WriteAnswer): Notice {
  const issues = (answer.body['issues'] as AllowlistIssue[] | undefined) ?? [];
  const code = typeof answer.body['code'] === 'string' ? ` ${answer.body['code']}` : '';
  return { kind: 'bad', text: `${answer.status}${code}: ${String(answer.body['error'])}`, issues };
}

/** What the console says after a change: made from the server's own answer, never from the URL. */
function doneText(change: ListChange, answer: WriteAnswer): string {
  const version = String(answer.body['version']);
  if (answer.body['written'] === false) return `Nothing to change: version ${version} stays in force.`;
  switch (change.action) {
    case 'add':
      return `Allowed ${change.origin}: version ${version} is in force.`;
    case 'remove':
      return `Removed ${change.origin}: version ${version} is in force.`;
    case 'replace':
      return `Saved the list: version ${version} is in force.`;
    case 'promote':
      return `Promoted the candidate: version ${version} is in force.`;
  }
}

/** Back to the page (303), landing on the notice the server keeps for this session, once. */
function redirectWithNotice(ctx: AdminContext, notice: Notice): void {
  const id = ctx.notices.put(notice, noticeOwner(ctx)!);
  redirect(ctx, `/?notice=${id}#notice`);
}

/** A form's change → applied, then back to the page (303), or the page with the error. */
async function applyForm(ctx: AdminContext, change: ListChange, form: URLSearchParams): Promise<void> {
  const writes = ctx.backend.writes!;
  const expected = expectedVersion(form.get('version'));
  if (!expected.ok) {
    page(ctx, 400, { notice: { kind: 'bad', text: `400: ${MALFORMED_VERSION}` } });
    return;
  }
  const answer = await writes.apply(change, expected.version, {
    token: ctx.who!,
    address: ctx.address,
  });
  if (answer.status !== 200) {
    page(ctx, answer.status, { notice: answerNotice(answer) });
    return;
  }
  if (change.action === 'promote') await ctx.backend.candidate?.promoted();
  redirectWithNotice(ctx, { kind: 'ok', text: doneText(change, answer) });
}

async function promote(ctx: AdminContext, form: URLSearchParams): Promise<void> {
  const text = await ctx.backend.candidate!.text();
  if (text === undefined) {
    page(ctx, 404, { notice: { kind: 'bad', text: 'There is no candidate list to promote.' } });
    return;
  }
  await applyForm(ctx, { action: 'promote', text }, form);
}

function changeFromForm(action: string | null, form: URLSearchParams): ListChange | undefined {
  const origin = form.get('origin')?.trim() ?? '';
  if ((action === 'add' || action === 'remove') && origin !== '') return { action, origin };
  if (action === 'replace') return { action, text: form.get('text') ?? '' };
  return undefined;
}

/** Sign-in and sign-out: taken before any token, so with the small body limit. */
async function session(ctx: AdminContext, action: 'sign-in' | 'sign-out'): Promise<void> {
  const form = new URLSearchParams(await ctx.bodies.read(ctx.req, false));
  if (action === 'sign-in') {
    const opened = ctx.auth.signIn(form.get('token') ?? '');
    if (opened === undefined) page(ctx, 401, { notice: { kind: 'bad', text: 'That token is not valid.' } });
    else redirect(ctx, '/', { 'Set-Cookie': Sessions.cookieFor(opened.sessionId) });
    return;
  }
  ctx.auth.signOut(ctx.req);
  redirect(ctx, '/', { 'Set-Cookie': Sessions.clearCookie() });
}

/**
 * The Explain page (docs/console.md "Explain a failure"): read-only, so whoever may read the
 * console may use it; the pasted text is a body with the limit of the reader's standing (a HAR
 * needs a session or a token, a console message fits the limit before one).
 */
async function failurePage(ctx: AdminContext, posted: boolean): Promise<void> {
  const { backend, auth, who } = ctx;
  const canWrite = who !== undefined && backend.writes !== undefined;
  const text = posted
    ? (new URLSearchParams(await ctx.bodies.read(ctx.req, who !== undefined)).get('text') ?? '')
    : undefined;
  const snapshot = backend.snapshot?.();
  const view =
    text === undefined
      ? undefined
      : buildFailureView(text, (origin) =>
          snapshot === undefined ? null : (matchingEntry(snapshot, origin)?.line ?? null),
        );
  const shell = {
    who,
    tokensConfigured: auth.tokens.length > 0,
    canRead: auth.loopback || who !== undefined,
    candidateAvailable: backend.candidate !== undefined,
  };
  const html = renderShell(
    shell,
    'Explain a failure · corsgate console',
    failureSection(view, canWrite),
    '/',
  );
  sendText(ctx.res, view?.error === undefined ? 200 : 400, 'text/html; charset=utf-8', html, {
    'Content-Security-Policy': CONSOLE_CSP,
  });
}

async function post(ctx: AdminContext, action: string): Promise<void> {
  if (action === 'sign-in' || action === 'sign-out') return session(ctx, action);
  if (action === 'explain-failure') return failurePage(ctx, true);
  // No body is read before the token: without one the answer needs none.
  if (ctx.who === undefined) {
    closeAfter(ctx.req, ctx.res);
    ctx.req.resume();
    page(ctx, 401, { notice: { kind: 'bad', text: 'Sign in with an admin token to change the list.' } });
    return;
  }
  if (ctx.backend.writes === undefined) {
    ctx.req.resume();
    page(ctx, 501, { notice: { kind: 'bad', text: 'This process cannot write the list.' } });
    return;
  }
  const form = new URLSearchParams(await ctx.bodies.read(ctx.req, true));
  if (await listAction(ctx, action, form)) return;
  if (await candidateAction(ctx, action, form)) return;
  page(ctx, 404, { notice: { kind: 'bad', text: 'No such action.' } });
}

/** Preview, add, remove, replace: true when `action` was one of them. */
async function listAction(ctx: AdminContext, action: string, form: URLSearchParams): Promise<boolean> {
  if (action === 'preview') {
    const change = changeFromForm(form.get('action'), form);
    if (change === undefined)
      page(ctx, 400, { notice: { kind: 'bad', text: 'Nothing to preview: give an origin or a text.' } });
    else page(ctx, 200, { preview: { change, result: await ctx.backend.writes!.preview(change) } });
    return true;
  }
  if (action !== 'add' && action !== 'remove' && action !== 'replace') return false;
  const change = changeFromForm(action, form);
  if (change === undefined) page(ctx, 400, { notice: { kind: 'bad', text: 'Give an origin.' } });
  else await applyForm(ctx, change, form);
  return true;
}

/** Stage, drop, promote the candidate: true when `action` was one of them (and a candidate is served). */
async function candidateAction(ctx: AdminContext, action: string, form: URLSearchParams): Promise<boolean> {
  const candidate = ctx.backend.candidate;
  if (candidate === undefined) return false;
  switch (action) {
    case 'candidate': {
      const errors = await candidate.stage(form.get('text') ?? '');
      if (errors.length > 0)
        page(ctx, 422, {
          notice: {
            kind: 'bad',
            text: 'The candidate has errors: it is kept but not evaluated.',
            issues: errors,
          },
        });
      else
        redirectWithNotice(ctx, {
          kind: 'ok',
          text: 'The candidate list is staged and evaluated on every request from now on.',
        });
      return true;
    }
    case 'candidate/drop':
      await candidate.drop();
      redirectWithNotice(ctx, { kind: 'ok', text: 'The candidate list is dropped.' });
      return true;
    case 'promote':
      await promote(ctx, form);
      return true;
  }
  return false;
}

export function consoleRoute(ctx: AdminContext): boolean {
  const { req, url, res } = ctx;
  if (req.method === 'GET' && url.pathname === '/') {
    page(ctx, 200);
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/explain-failure') {
    failurePage(ctx, false).catch((error: unknown) =>
      sendText(res, 500, 'text/plain; charset=utf-8', `console: ${String(error)}\n`),
    );
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/console.css') {
    sendText(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS);
    return true;
  }
  if (!url.pathname.startsWith('/console/')) return false;
  if (req.method !== 'POST') {
    req.resume();
    sendText(res, 405, 'text/plain; charset=utf-8', 'POST only\n', { Allow: 'POST' });
    return true;
  }
  post(ctx, url.pathname.slice('/console/'.length)).catch((error: unknown) => {
    if (res.headersSent || refuseBody(req, res, error)) return;
    // The source cannot be read or reached: nothing was written; the page says so with the code.
    if (error instanceof AllowlistError)
      page(ctx, 503, {
        notice: { kind: 'bad', text: `503 ${error.code}: nothing was written. ${error.message}` },
      });
    else sendText(res, 500, 'text/plain; charset=utf-8', `console: ${String(error)}\n`);
  });
  return true;
}
