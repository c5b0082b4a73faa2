/**
 * The console's routes on the admin listener (docs/console.md): `GET /` renders the page,
 * `GET /console.css` its stylesheet, and each `POST /console/...` form applies one change through
 * the same write path as the JSON API, then redirects back (303) or shows the page with the error.
 */
import { AllowlistError, type AllowlistIssue } from 'corsgate/allowlist';
import type { ListText } from '../../sources/index.js';
import type { DeniedView } from '../../views/denied.js';
import type { AdminContext } from '../admin.js';
import { MAX_WRITE_BYTES } from '../api.js';
import { explainRequest, matchingEntry } from '../explain.js';
import { Sessions } from '../guard.js';
import { readBody, SECURITY_HEADERS, sendText } from '../http.js';
import type { ListChange, WriteAnswer } from '../writes.js';
import { type ConsoleData, type Notice, renderConsole, type StatusState } from './page.js';
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

function doneNotice(url: URL): Notice | undefined {
  const done = url.searchParams.get('done');
  const version = url.searchParams.get('version') ?? '?';
  const origin = url.searchParams.get('origin') ?? '';
  switch (done) {
    case 'add':
      return { kind: 'ok', text: `Allowed ${origin}: version ${version} is in force.` };
    case 'remove':
      return { kind: 'ok', text: `Removed ${origin}: version ${version} is in force.` };
    case 'replace':
      return { kind: 'ok', text: `Saved the list: version ${version} is in force.` };
    case 'promote':
      return { kind: 'ok', text: `Promoted the candidate: version ${version} is in force.` };
    case 'unchanged':
      return { kind: 'ok', text: `Nothing to change: version ${version} stays in force.` };
    case 'staged':
      return { kind: 'ok', text: 'The candidate list is staged and evaluated on every request from now on.' };
    case 'dropped':
      return { kind: 'ok', text: 'The candidate list is dropped.' };
    default:
      return undefined;
  }
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
  const notice = extra.notice ?? doneNotice(url);
  const [view, denied, audit, read] = await Promise.all([
    backend.allowlist() as Promise<StatusState & { path: string }>,
    backend.denied(100) as Promise<{ origins?: DeniedView[] }>,
    backend.writes?.audit.list(50) ?? Promise.resolve([]),
    readSource(ctx),
  ]);
  const outage = read !== undefined && 'down' in read ? read.down : undefined;
  const list = outage === undefined ? (read as ListText | undefined) : inForceText(ctx);
  const data: ConsoleData = {
    ...base,
    ...(outage === undefined ? {} : { canWrite: false, notice: notice ?? outage }),
    status: view,
    denied: (denied.origins ?? []).map((d) => ({
      ...d,
      listedAt:
        backend.snapshot === undefined ? null : (matchingEntry(backend.snapshot(), d.origin)?.line ?? null),
    })),
    audit,
    ...(notice === undefined ? {} : { notice }),
    ...(backend.candidate?.view() === undefined ? {} : { candidate: backend.candidate.view()! }),
  };
  const explainOrigin = url.searchParams.get('explain_origin');
  const withExplain =
    explainOrigin === null || backend.snapshot === undefined
      ? data
      : { ...data, explain: explainOf(ctx, explainOrigin) };
  if (list === undefined || backend.writes === undefined) return withExplain;
  const parsed = backend.writes.lint(list.text);
  return {
    ...withExplain,
    list: {
      path: view.path,
      text: list.text,
      version: list.version,
      inForce: list.inForce,
      issues: [...parsed.errors, ...parsed.warnings].sort((a, b) => a.line - b.line),
      entries: new Map(parsed.entries.map((e) => [e.line, e.origin])),
    },
  };
}

/**
 * The text the source holds, or why the console cannot show it: the source cannot be read or
 * reached (Redis down), or it has lost its text (the file deleted, Redis wiped). Either way the
 * version in force keeps deciding and writes are refused (docs/console.md "During an outage").
 */
async function readSource(ctx: AdminContext): Promise<ListText | { down: Notice } | undefined> {
  const writes = ctx.backend.writes;
  if (writes === undefined) return undefined;
  let text: ListText;
  try {
    text = await writes.store.read();
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    return { down: outageNotice(error.code, error.message) };
  }
  if (!text.lost) return text;
  return {
    down: outageNotice(
      'CG_GATEWAY_ADMIN_SOURCE_LOST',
      'the source no longer holds the list (deleted or wiped)',
    ),
  };
}

function outageNotice(code: string, why: string): Notice {
  return {
    kind: 'warn',
    text: `The source cannot be used (${code}: ${why.replace(/^corsgate: /, '')}). The version in force below keeps deciding every request; changes are refused until the source is back.`,
  };
}

/** The version in force as the console shows it when the source cannot: one entry a line. */
function inForceText(ctx: AdminContext): ListText | undefined {
  const snapshot = ctx.backend.snapshot?.();
  if (snapshot === undefined) return undefined;
  const text = snapshot.entries.map((e) => `${e.origin}\n`).join('');
  return {
    text,
    version: snapshot.version,
    hash: snapshot.hash,
    inForce: true,
    versionInForce: snapshot.version,
    lost: false,
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

/** A form's change → applied, then back to the page (303), or the page with the error. */
async function applyForm(
  ctx: AdminContext,
  change: ListChange,
  form: URLSearchParams,
  anchor: string,
): Promise<void> {
  const writes = ctx.backend.writes!;
  const versionText = form.get('version');
  const expected = versionText === null || versionText === '' ? undefined : Number(versionText);
  const answer = await writes.apply(change, Number.isFinite(expected) ? expected : undefined, {
    token: ctx.who!,
    address: ctx.address,
  });
  if (answer.status !== 200) {
    page(ctx, answer.status, { notice: answerNotice(answer) });
    return;
  }
  if (change.action === 'promote') ctx.backend.candidate?.promoted();
  const done = answer.body['written'] === false ? 'unchanged' : change.action;
  const q = new URLSearchParams({ done, version: String(answer.body['version']) });
  if ('origin' in change) q.set('origin', change.origin);
  redirect(ctx, `/?${q.toString()}#${anchor}`);
}

async function promote(ctx: AdminContext, form: URLSearchParams): Promise<void> {
  const text = await ctx.backend.candidate!.text();
  if (text === undefined) {
    page(ctx, 404, { notice: { kind: 'bad', text: 'There is no candidate list to promote.' } });
    return;
  }
  await applyForm(ctx, { action: 'promote', text }, form, 'list');
}

function changeFromForm(action: string | null, form: URLSearchParams): ListChange | undefined {
  const origin = form.get('origin')?.trim() ?? '';
  if ((action === 'add' || action === 'remove') && origin !== '') return { action, origin };
  if (action === 'replace') return { action, text: form.get('text') ?? '' };
  return undefined;
}

async function post(ctx: AdminContext, action: string): Promise<void> {
  const form = new URLSearchParams(await readBody(ctx.req, MAX_WRITE_BYTES));
  if (action === 'sign-in') {
    const session = ctx.auth.signIn(form.get('token') ?? '');
    if (session === undefined) page(ctx, 401, { notice: { kind: 'bad', text: 'That token is not valid.' } });
    else redirect(ctx, '/', { 'Set-Cookie': Sessions.cookieFor(session.sessionId) });
    return;
  }
  if (action === 'sign-out') {
    ctx.auth.signOut(ctx.req);
    redirect(ctx, '/', { 'Set-Cookie': Sessions.clearCookie() });
    return;
  }
  if (ctx.who === undefined) {
    page(ctx, 401, { notice: { kind: 'bad', text: 'Sign in with an admin token to change the list.' } });
    return;
  }
  if (ctx.backend.writes === undefined) {
    page(ctx, 501, { notice: { kind: 'bad', text: 'This process cannot write the list.' } });
    return;
  }
  const candidate = ctx.backend.candidate;
  switch (action) {
    case 'preview': {
      const change = changeFromForm(form.get('action'), form);
      if (change === undefined) {
        page(ctx, 400, { notice: { kind: 'bad', text: 'Nothing to preview: give an origin or a text.' } });
        return;
      }
      page(ctx, 200, { preview: { change, result: await ctx.backend.writes.preview(change) } });
      return;
    }
    case 'add':
    case 'remove':
    case 'replace': {
      const change = changeFromForm(action, form);
      if (change === undefined) {
        page(ctx, 400, { notice: { kind: 'bad', text: 'Give an origin.' } });
        return;
      }
      await applyForm(ctx, change, form, form.get('from') === 'denied' ? 'denied' : 'list');
      return;
    }
    case 'candidate':
      if (candidate === undefined) break;
      {
        const errors = candidate.stage(form.get('text') ?? '');
        if (errors.length > 0)
          page(ctx, 422, {
            notice: {
              kind: 'bad',
              text: 'The candidate has errors: it is kept but not evaluated.',
              issues: errors,
            },
          });
        else redirect(ctx, '/?done=staged#candidate');
        return;
      }
    case 'candidate/drop':
      if (candidate === undefined) break;
      candidate.drop();
      redirect(ctx, '/?done=dropped#candidate');
      return;
    case 'promote':
      if (candidate === undefined) break;
      await promote(ctx, form);
      return;
  }
  page(ctx, 404, { notice: { kind: 'bad', text: 'No such action.' } });
}

export function consoleRoute(ctx: AdminContext): boolean {
  const { req, url, res } = ctx;
  if (req.method === 'GET' && url.pathname === '/') {
    page(ctx, 200);
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
    if (res.headersSent) return;
    // The source cannot be read or reached: nothing was written; the page says so with the code.
    if (error instanceof AllowlistError)
      page(ctx, 503, {
        notice: { kind: 'bad', text: `503: ${error.code}: nothing was written. ${error.message}` },
      });
    else sendText(res, 500, 'text/plain; charset=utf-8', `console: ${String(error)}\n`);
  });
  return true;
}
