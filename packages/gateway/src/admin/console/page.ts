/**
 * The console page (docs/console.md): one server-rendered HTML document, no script. Every action
 * is a plain form (POST for changes, GET for explain), so it works from the keyboard and under a
 * Content-Security-Policy that allows no script at all.
 */
import type { AllowlistIssue } from 'corsgate/allowlist';
import type { DeniedView } from '../../views/denied.js';
import type { AuditRecord } from '../audit.js';
import type { Explained } from '../explain.js';
import type { Notice } from '../notices.js';
import type { ChangePreview, ListChange } from '../writes.js';
import { type CandidateView, candidateSection } from './candidate-view.js';
import { esc, hidden, postButton, scrollBox, shown, textareaText, time } from './html.js';

export type { Notice } from '../notices.js';

export interface ListState {
  readonly path: string;
  /** The whole text, for the edit form; absent when the list is too long to edit in a page. */
  readonly text?: string;
  readonly version: number;
  readonly inForce: boolean;
  /** Every line's issues are counted; only the page's are shown inline. */
  readonly issues: readonly AllowlistIssue[];
  readonly entryCount: number;
  /** Lines that hold an entry, with the entry's normalised text (the page's lines). */
  readonly entries: ReadonlyMap<number, string>;
  /** The page of lines shown: `from` is the first line's number (docs/console.md "Long lists"). */
  readonly page: { readonly from: number; readonly lines: readonly string[]; readonly size: number };
  readonly totalLines: number;
}

export interface StatusState {
  readonly version: number;
  readonly loadedAt: string;
  readonly lastReload: { at: string; result: string };
  readonly lastError: { read?: { message: string }; issues: AllowlistIssue[] } | null;
}

export interface ConsoleData {
  readonly who: string | undefined;
  readonly tokensConfigured: boolean;
  /** False off loopback without a session: only the sign-in form is shown. */
  readonly canRead: boolean;
  readonly canWrite: boolean;
  readonly list?: ListState;
  readonly status?: StatusState;
  /** Refused origins, each with the allowlist line that lists it now (null when none does). */
  readonly denied: readonly (DeniedView & { readonly listedAt?: number | null })[];
  readonly audit: readonly AuditRecord[];
  /** False where this process evaluates no candidate (the cluster primary). */
  readonly candidateAvailable: boolean;
  readonly candidate?: CandidateView;
  readonly explain?: {
    readonly origin: string;
    readonly method: string;
    readonly headers: string;
    readonly result?: Explained;
    readonly problems?: readonly string[];
  };
  readonly preview?: { readonly change: ListChange; readonly result: ChangePreview };
  readonly notice?: Notice;
}

/** The sentence of an issue, without a `FILE:LINE:COL: severity CODE` prefix the views may add. */
function issueSentence(i: AllowlistIssue): string {
  const m = i.message.replace(/^corsgate: /, '');
  const at = m.indexOf(`${i.code} `);
  const sentence = at >= 0 ? m.slice(at + i.code.length + 1) : m;
  return i.suggestion === undefined || sentence.includes(i.suggestion)
    ? sentence
    : `${sentence} (${i.suggestion})`;
}

function issueLines(issues: readonly AllowlistIssue[]): string {
  return issues
    .map(
      (i) =>
        `<span class="issue ${esc(i.severity)}">${esc(i.severity)} ${esc(i.code)} at line ${i.line}, column ${i.column}: ${shown(issueSentence(i))}</span>`,
    )
    .join('');
}

function notice(n: Notice | undefined): string {
  if (n === undefined) return '';
  const role = n.kind === 'ok' ? 'status' : 'alert';
  // The page lands here after a change (#notice): the answer is seen first, at any width.
  return `<div id="notice" class="msg ${n.kind}" role="${role}" tabindex="-1"><p>${shown(n.text)}</p>${issueLines(n.issues ?? [])}</div>`;
}

/** `base`: '' on the main page (its sections are here), '/' on another page. */
function header(d: ShellData, base: string): string {
  const links = d.canRead
    ? [
        [`${base}#status`, 'Status'],
        [`${base}#list`, 'List'],
        [`${base}#denied`, 'Denied'],
        ...(d.candidateAvailable ? [[`${base}#candidate`, 'Candidate']] : []),
        [`${base}#explain`, 'Explain'],
        [`${base}#audit`, 'Audit'],
        ['/explain-failure', 'Explain a failure'],
      ]
        .map(([href, text]) => `<li><a href="${href}">${text}</a></li>`)
        .join('')
    : '';
  const account =
    d.who === undefined
      ? signInForm(d)
      : `<p>Signed in as <strong>${esc(d.who)}</strong> ${postButton('/console/sign-out', {}, 'Sign out', undefined, 'secondary')}</p>`;
  return `<header><h1>corsgate console</h1><nav aria-label="Sections"><ul>${links}</ul></nav><div>${account}</div></header>`;
}

function signInForm(d: ShellData): string {
  if (!d.tokensConfigured)
    return '<p class="muted">Read-only: no admin token is configured (start with --admin-token-file FILE).</p>';
  return `<form method="post" action="/console/sign-in" class="row"><label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="current-password" required><button type="submit">Sign in</button></form>`;
}

function statusSection(s: StatusState | undefined): string {
  if (s === undefined) return '';
  const err = s.lastError;
  const errorHtml =
    err === null
      ? '<dd>none</dd>'
      : `<dd>${err.read === undefined ? '' : `<span class="issue error">${shown(err.read.message)}</span>`}${issueLines(err.issues)}</dd>`;
  return `<section id="status" aria-labelledby="status-h"><h2 id="status-h">Reload status</h2>
<dl class="facts"><dt>Version in force</dt><dd>${s.version}</dd><dt>Loaded</dt><dd>${time(s.loadedAt)}</dd>
<dt>Last reload</dt><dd>${esc(s.lastReload.result)} at ${time(s.lastReload.at)}</dd><dt>Last error</dt>${errorHtml}</dl></section>`;
}

function listLines(l: ListState, canWrite: boolean): string {
  const byLine = new Map<number, AllowlistIssue[]>();
  const { from, lines, size } = l.page;
  const last = from + lines.length - 1;
  for (const i of l.issues)
    if (i.line >= from && i.line <= last) byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
  const items = lines.map((raw, index) => {
    const n = from + index;
    const entry = l.entries.get(n);
    const remove =
      entry !== undefined && canWrite
        ? postButton(
            '/console/preview',
            { action: 'remove', origin: entry },
            'Remove',
            `Remove ${entry}`,
            'danger',
          )
        : '';
    return `<li><span class="ln">${n}</span><div><code>${shown(raw.replace(/\r$/, '')) || '&nbsp;'}</code>${issueLines(byLine.get(n) ?? [])}</div>${remove}</li>`;
  });
  return `<ol class="lines" aria-label="Lines of the list">${items.join('')}</ol>${pager(from, size, l.totalLines)}`;
}

/** Links to the previous and next pages of a long list (plain links: no script). */
function pager(from: number, size: number, total: number): string {
  if (total <= size) return '';
  const to = Math.min(total, from + size - 1);
  const link = (start: number, text: string): string => `<a href="/?lines=${start}#list">${text}</a>`;
  const prev =
    from > 1 ? link(Math.max(1, from - size), `Lines ${Math.max(1, from - size)}–${from - 1}`) : '';
  const next = to < total ? link(to + 1, `Lines ${to + 1}–${Math.min(total, to + size)}`) : '';
  return `<nav class="row" aria-label="Pages of the list"><span class="muted">Lines ${from}–${to} of ${total}</span>${prev}${next}</nav>`;
}

function listSection(l: ListState | undefined, canWrite: boolean): string {
  if (l === undefined) return '';
  const state = l.inForce
    ? `version ${l.version} is in force`
    : `the file differs from version ${l.version} in force (an edit with errors, or one not applied yet)`;
  const add = canWrite
    ? `<form method="post" action="/console/add"><label for="add-origin">Origin to add</label>
<input id="add-origin" name="origin" type="text" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://app.example.com" required>
<div class="row"><button type="submit" formaction="/console/preview" name="action" value="add" class="secondary">Preview</button><button type="submit">Add</button></div></form>`
    : '';
  const edit = !canWrite
    ? ''
    : l.text === undefined
      ? `<p class="muted">The list is too long to edit in this page: use <code>PUT /allowlist</code> (docs/console.md "Long lists").</p>`
      : `<details><summary>Edit the whole list</summary><form method="post" action="/console/replace">${hidden('version', l.version)}
<label for="list-text">List text</label><textarea id="list-text" name="text" spellcheck="false">${textareaText(l.text)}</textarea>
<div class="row"><button type="submit" formaction="/console/preview" name="action" value="replace" class="secondary">Preview</button><button type="submit">Save as a new version</button></div></form></details>`;
  return `<section id="list" aria-labelledby="list-h"><h2 id="list-h">The list</h2>
<p><code>${shown(l.path)}</code>: ${esc(state)}; ${l.entryCount} entries, ${l.issues.filter((i) => i.severity === 'error').length} errors, ${l.issues.filter((i) => i.severity === 'warning').length} warnings.</p>
${listLines(l, canWrite)}${add}${edit}</section>`;
}

function previewSection(p: ConsoleData['preview']): string {
  if (p === undefined) return '';
  const { change, result } = p;
  const what =
    change.action === 'add'
      ? `Add ${change.origin}`
      : change.action === 'remove'
        ? `Remove ${change.origin}`
        : 'Replace the whole list';
  const diff = [
    ...result.diff.removed.map((l) => `<li><code>- ${shown(l)}</code></li>`),
    ...result.diff.added.map((l) => `<li><code>+ ${shown(l)}</code></li>`),
  ].join('');
  const ok = result.errors.length === 0 && result.found;
  const fields: Record<string, string | number> =
    change.action === 'add' || change.action === 'remove'
      ? { origin: change.origin, version: result.base.version }
      : { text: change.action === 'replace' ? change.text : '', version: result.base.version };
  const apply = ok
    ? postButton(
        `/console/${change.action === 'promote' ? 'replace' : change.action}`,
        fields,
        `Apply: ${what}`,
      )
    : '';
  const verdict = !result.found
    ? '<p class="issue error">No line lists this origin.</p>'
    : result.errors.length > 0
      ? '<p class="issue error">Not applied: the list would have errors.</p>'
      : `<p>Lint: no errors${result.warnings.length > 0 ? `, ${result.warnings.length} warnings` : ''}. This becomes one new version.</p>`;
  return `<section id="preview" aria-labelledby="preview-h"><h2 id="preview-h">Preview: ${esc(what)}</h2>
${verdict}${issueLines([...result.errors, ...result.warnings])}<ul aria-label="Changed lines">${diff || '<li>No line changes.</li>'}</ul>${apply}</section>`;
}

function deniedSection(denied: ConsoleData['denied'], canWrite: boolean): string {
  const rows = denied
    .map((d) => {
      const allow =
        typeof d.listedAt === 'number'
          ? `<span class="muted">listed now (line ${d.listedAt})</span>`
          : canWrite && d.reason === 'origin-not-allowed'
            ? postButton('/console/add', { origin: d.origin, from: 'denied' }, 'Allow', `Allow ${d.origin}`)
            : '';
      return `<tr><td class="origin" data-label="Origin">${shown(d.origin)}</td><td data-label="Reason">${esc(d.reason)}</td><td class="num" data-label="Count">${d.count}</td><td data-label="Last seen">${time(d.lastSeen)}</td><td data-label="Sample request"><code>${shown(d.sampleMethod)} ${shown(d.samplePath)}</code></td><td data-label="Action">${allow}</td></tr>`;
    })
    .join('');
  const body =
    denied.length === 0
      ? '<p>No origin has been refused since the gateway started.</p>'
      : scrollBox(
          'Denied origins table',
          `<table class="stack"><caption class="muted">Newest first</caption><thead><tr><th scope="col">Origin</th><th scope="col">Reason</th><th scope="col" class="num">Count</th><th scope="col">Last seen</th><th scope="col">Sample request</th><th scope="col">Action</th></tr></thead><tbody>${rows}</tbody></table>`,
        );
  return `<section id="denied" aria-labelledby="denied-h"><h2 id="denied-h">Denied origins</h2>${body}</section>`;
}

function explainSection(e: ConsoleData['explain']): string {
  const v = e ?? { origin: '', method: 'GET', headers: '' };
  let result = '';
  if (e?.problems !== undefined)
    result = `<div class="msg bad" role="alert">${esc(e.problems.join('; '))}</div>`;
  else if (e?.result !== undefined) {
    const r = e.result;
    const d = r.decision;
    const headers = Object.entries(d.headers)
      .map(([k, val]) => `${esc(k)}: ${esc(val)}`)
      .join('\n');
    result = `<dl class="facts" aria-label="Decision"><dt>Decision</dt><dd><strong>${d.allowed ? 'allowed' : 'refused'}</strong> (${esc(d.kind)}${d.kind === 'preflight' ? `, status ${d.status}` : ''})</dd>
<dt>Reason</dt><dd><code>${esc(d.reason)}</code>${d.detail === undefined ? '' : ` (${esc(d.detail)})`}: ${esc(r.explanation)}</dd>
<dt>Rule</dt><dd>${r.rule === null ? 'no allowlist line' : `line ${r.rule.line}: <code>${esc(r.rule.entry)}</code>`}</dd>
<dt>Response headers</dt><dd><pre>${headers === '' ? '(none)' : headers}${d.vary.length > 0 ? `\nVary: ${esc(d.vary.join(', '))} (appended)` : ''}</pre></dd></dl>`;
  }
  return `<section id="explain" aria-labelledby="explain-h"><h2 id="explain-h">Explain a request</h2>
<form method="get" action="/#explain"><label for="ex-origin">Origin</label><input id="ex-origin" name="explain_origin" type="text" spellcheck="false" value="${esc(v.origin)}" required>
<label for="ex-method">Method</label><input id="ex-method" name="explain_method" type="text" spellcheck="false" value="${esc(v.method)}">
<label for="ex-headers">Request headers the script sets (one a line, "Name" or "Name: value")</label><textarea id="ex-headers" name="explain_headers" spellcheck="false">${esc(v.headers)}</textarea>
<div class="row"><button type="submit">Explain</button></div></form>${result}</section>`;
}

/** One stored line per item, shown as data: a CR inside a line never reads as a line of its own. */
function auditDiff(r: AuditRecord): string {
  const items = [
    ...(r.diff?.removed ?? []).map((l) => `<li><code>- ${shown(l)}</code></li>`),
    ...(r.diff?.added ?? []).map((l) => `<li><code>+ ${shown(l)}</code></li>`),
  ];
  return `<ul class="diff">${items.join('')}</ul>`;
}

function auditSection(records: readonly AuditRecord[]): string {
  // With a Redis source the trail is the fleet's (docs/sources.md "One audit trail"): each record
  // names the node that made the change.
  const fleet = records.some((r) => r.node !== undefined);
  const rows = records
    .map(
      (r) =>
        `<tr><td>${time(String(r.at))}</td>${fleet ? `<td>${shown(r.node ?? '')}</td>` : ''}<td>${shown(r.token)}</td><td>${shown(r.address)}</td><td>${shown(r.action)}</td><td class="num">${esc(r.fromVersion)} → ${esc(r.toVersion)}</td><td>${auditDiff(r)}</td></tr>`,
    )
    .join('');
  const nodeHead = fleet ? '<th scope="col">Node</th>' : '';
  const body =
    records.length === 0
      ? '<p>No change has been made through the admin API yet.</p>'
      : scrollBox(
          'Audit log table',
          `<table><caption class="muted">Newest first${fleet ? ', every node of the fleet' : ''}</caption><thead><tr><th scope="col">When</th>${nodeHead}<th scope="col">Token</th><th scope="col">Address</th><th scope="col">Action</th><th scope="col" class="num">Versions</th><th scope="col">Diff</th></tr></thead><tbody>${rows}</tbody></table>`,
        );
  return `<section id="audit" aria-labelledby="audit-h"><h2 id="audit-h">Audit log</h2>${body}</section>`;
}

/** The fields the page's header needs: who is signed in, and which sections this process has. */
export type ShellData = Pick<
  ConsoleData,
  'who' | 'tokensConfigured' | 'canRead' | 'candidateAvailable' | 'notice'
>;

/** A console page: the header, then `main` (or the sign-in notice when the reader may not read). */
export function renderShell(d: ShellData, title: string, main: string, base = ''): string {
  const body = d.canRead ? main : `${notice(d.notice)}<p>Sign in with an admin token to see the list.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="/console.css"></head>
<body><a class="skip" href="#main">Skip to content</a>${header(d, base)}<main id="main">${body}</main></body></html>
`;
}

export function renderConsole(d: ConsoleData): string {
  const sections = d.canRead
    ? [
        notice(d.notice),
        previewSection(d.preview),
        statusSection(d.status),
        listSection(d.list, d.canWrite),
        deniedSection(d.denied, d.canWrite),
        d.candidateAvailable ? candidateSection(d.candidate, d.canWrite) : '',
        explainSection(d.explain),
        auditSection(d.audit),
      ].join('\n')
    : '';
  return renderShell(d, 'corsgate console', sections);
}
