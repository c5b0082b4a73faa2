/**
 * The console's Explain page (docs/console.md "Explain a failure"): a pasted browser console
 * message or a HAR's text in; out, for each failed cross-origin request, its catalogue class
 * (docs/failures.md), the exchange drawn as a sequence over four lanes (page, browser, corsgate,
 * upstream) with each step's headers, each engine's verdict, and the fix. The diagnosis is
 * `explain`'s own (explain/diagnose.ts for a message, har/ for a HAR); this module only arranges it.
 */
import { CATALOGUE, type ClassId } from '../../catalogue/classes.js';
import { diagnoseMessage, type Diagnosis as MessageDiagnosis } from '../../explain/diagnose.js';
import { diagnoseHar, type Diagnosis as HarDiagnosis } from '../../har/diagnose.js';
import { type HarExchange, type HarFile, readHar } from '../../har/read.js';
import { esc, postButton, shown, textareaText } from './html.js';

export type Lane = 'page' | 'browser' | 'corsgate' | 'upstream';
export const LANES: readonly Lane[] = ['page', 'browser', 'corsgate', 'upstream'];

/** One arrow of the sequence: who sends what to whom, with its header lines. */
export interface Step {
  readonly from: Lane;
  readonly to: Lane;
  readonly title: string;
  readonly lines: readonly string[];
}

export interface EngineLine {
  readonly engine: 'Chromium' | 'Firefox' | 'Safari';
  /** true blocks, false allows, null cannot be judged from the input. */
  readonly blocked: boolean | null;
  readonly text: string;
}

/** One failed request, explained. */
export interface FailureCase {
  readonly classId: string | null;
  readonly title: string;
  readonly origin: string | undefined;
  readonly steps: readonly Step[];
  readonly engines: readonly EngineLine[];
  readonly fix: string | undefined;
  readonly corsgateFix: string | undefined;
  /** `serve` flags the fix needs besides the list (shown as text: the console changes only the list). */
  readonly flags: readonly string[];
  /** The origin an `Allow` button would add: set only when adding it to the list is the fix. */
  readonly allowOrigin: string | undefined;
  /** The list line that lists `allowOrigin` now, when one does. */
  readonly listedAt: number | null;
  readonly notes: readonly string[];
}

export interface FailureView {
  readonly text: string;
  readonly kind: 'message' | 'har' | undefined;
  /** A clear sentence when the input cannot be read; no case then. */
  readonly error?: string;
  readonly cases: readonly FailureCase[];
  readonly notes: readonly string[];
}

/** The list line that lists an origin now, or null (admin/explain.ts `matchingEntry`). */
export type ListedAt = (origin: string) => number | null;

const ENGINE_LABEL = { chromium: 'Chromium', firefox: 'Firefox', safari: 'Safari' } as const;

/** A HAR is JSON: an object. Anything else pasted is read as a console message. */
function looksLikeHar(text: string): boolean {
  return text
    .trimStart()
    .replace(/^\uFEFF/, '')
    .startsWith('{');
}

export function buildFailureView(text: string, listedAt: ListedAt): FailureView {
  if (text.trim() === '')
    return {
      text,
      kind: undefined,
      error: 'Nothing to explain: paste a console message or the text of a HAR export.',
      cases: [],
      notes: [],
    };
  if (!looksLikeHar(text)) return messageView(text, listedAt);
  const har = readHar(text);
  if ('code' in har) return { text, kind: 'har', error: `${har.code}: ${har.message}`, cases: [], notes: [] };
  return harView(text, har, listedAt);
}

function allowOf(classId: string | null, origin: string | undefined): string | undefined {
  if (classId === null || !(classId in CATALOGUE) || origin === undefined) return undefined;
  return CATALOGUE[classId as ClassId].corsgate.change.kind === 'allow-origin' ? origin : undefined;
}

function messageView(text: string, listedAt: ListedAt): FailureView {
  const d = diagnoseMessage(text);
  if (d.classId === null && d.fix === null && d.title.startsWith('not a CORS failure corsgate'))
    return {
      text,
      kind: 'message',
      error: `Not a CORS failure corsgate knows: ${d.notes.join('; ')}`,
      cases: [],
      notes: [],
    };
  const allowOrigin = allowOf(d.classId, d.facts.origin);
  const c: FailureCase = {
    classId: d.classId,
    title: d.title,
    origin: d.facts.origin,
    steps: messageSteps(d),
    engines: messageEngines(d),
    fix: d.fix?.generic,
    corsgateFix: d.fix?.corsgate,
    flags: d.fix?.flags ?? [],
    allowOrigin,
    listedAt: allowOrigin === undefined ? null : listedAt(allowOrigin),
    notes: [...d.needs.map((n) => `${n.why}: the fix needs it`), ...d.notes],
  };
  return { text, kind: 'message', cases: [c], notes: [] };
}

/** A message tells what the browser saw; what the server must have answered comes from the class. */
function messageSteps(d: MessageDiagnosis): Step[] {
  const f = d.facts;
  const origin = f.origin ?? '(the page origin: the message does not say)';
  const method = f.method ?? (f.preflight === true ? '(a method that needs a preflight)' : 'GET');
  const url = f.url ?? '(the URL: the message does not say)';
  const sent = f.preflight === true ? `OPTIONS ${url}` : `${method} ${url}`;
  const request =
    f.preflight === true
      ? [sent, `Origin: ${origin}`, `Access-Control-Request-Method: ${method}`]
      : [sent, `Origin: ${origin}`];
  if (f.header !== undefined && f.preflight === true)
    request.push(`Access-Control-Request-Headers: ${f.header.toLowerCase()}`);
  const said: string[] = [];
  if (f.status !== undefined) said.push(`status ${f.status}`);
  if (f.allowOrigin !== undefined) said.push(`Access-Control-Allow-Origin: ${f.allowOrigin}`);
  if (f.allowCredentials !== undefined) said.push(`Access-Control-Allow-Credentials: ${f.allowCredentials}`);
  return [
    {
      from: 'page',
      to: 'browser',
      title: `The script asks for ${url}`,
      lines: [`${method} ${url}`, `from ${origin}`],
    },
    {
      from: 'browser',
      to: 'corsgate',
      title: f.preflight === true ? 'The preflight' : 'The request',
      lines: request,
    },
    upstreamStep(f.preflight === true, method),
    {
      from: 'corsgate',
      to: 'browser',
      title: 'What the server answered (as the message says)',
      lines: said.length > 0 ? said : ['(the message quotes no header: the answer lacked what is below)'],
    },
    { from: 'corsgate', to: 'browser', title: 'What it must have answered', lines: d.expected },
    {
      from: 'browser',
      to: 'page',
      title: 'The browser blocks it: the script gets a network error',
      lines: [],
    },
  ];
}

/** docs/gateway.md "How a request is handled": preflights are never forwarded; refused writes neither. */
function upstreamStep(preflight: boolean, method: string): Step {
  if (preflight)
    return {
      from: 'corsgate',
      to: 'corsgate',
      title: 'corsgate answers the preflight itself',
      lines: ['never forwarded to the upstream'],
    };
  return method === 'GET' || method === 'HEAD'
    ? {
        from: 'corsgate',
        to: 'upstream',
        title: 'Forwarded to the upstream',
        lines: ['corsgate sets the CORS headers on its answer'],
      }
    : {
        from: 'corsgate',
        to: 'upstream',
        title: 'Forwarded only when the origin is allowed',
        lines: ['a refused origin gets 403 from corsgate'],
      };
}

/** From a message, each engine's verdict is the class's (catalogue "what each engine does"). */
function messageEngines(d: MessageDiagnosis): EngineLine[] {
  if (d.classId === null)
    return (['Chromium', 'Firefox', 'Safari'] as const).map((engine) => ({
      engine,
      blocked: null,
      text: d.notes[0] ?? d.title,
    }));
  const c = CATALOGUE[d.classId];
  return [
    { engine: 'Chromium', blocked: true, text: c.engines.chromium },
    { engine: 'Firefox', blocked: true, text: c.engines.firefox },
    { engine: 'Safari', blocked: true, text: c.engines.webkit },
  ];
}

function harView(text: string, har: HarFile, listedAt: ListedAt): FailureView {
  const report = diagnoseHar(har);
  const byIndex = new Map(har.exchanges.map((e) => [e.index, e]));
  const cases = report.diagnoses.map((d): FailureCase => {
    const allowOrigin = d.notCors ? undefined : allowOf(d.classId, d.corsgate.allowlistLine ?? d.origin);
    return {
      classId: d.classId,
      title: d.title,
      origin: d.origin,
      steps: harSteps(d, byIndex),
      engines: (['chromium', 'firefox', 'safari'] as const).map((b) => ({
        engine: ENGINE_LABEL[b],
        blocked: d.engines[b].blocked,
        text: d.engines[b].message,
      })),
      fix: d.fix,
      corsgateFix: d.corsgate.text,
      flags: d.corsgate.flags ?? [],
      allowOrigin,
      listedAt: allowOrigin === undefined ? null : listedAt(allowOrigin),
      notes: [d.message, ...d.unknowns],
    };
  });
  const notes = [
    `${report.entries} entries, ${report.crossOrigin} cross-origin requests, ${cases.length} failed (written by ${har.creator || 'an unnamed tool'})`,
    ...report.notes,
  ];
  return { text, kind: 'har', cases, notes };
}

function headerLines(e: HarExchange, first: string): string[] {
  const lines = [first];
  for (const [name, values] of e.requestHeaders) for (const v of values) lines.push(`${name}: ${v}`);
  return lines;
}

function responseLines(e: HarExchange): string[] {
  if (e.status === 0) return [`no response recorded${e.error === undefined ? '' : ` (${e.error})`}`];
  const lines = [`status ${e.status}`];
  for (const [name, values] of e.responseHeaders) for (const v of values) lines.push(`${name}: ${v}`);
  return lines;
}

/** The recorded exchange: the preflight and the actual request, each with its answer as the file has it. */
function harSteps(d: HarDiagnosis, byIndex: ReadonlyMap<number, HarExchange>): Step[] {
  const preflight = d.preflightEntry === undefined ? undefined : byIndex.get(d.preflightEntry);
  const actual = d.entry === undefined ? undefined : byIndex.get(d.entry);
  const steps: Step[] = [
    {
      from: 'page',
      to: 'browser',
      title: `The script asks for ${d.url}`,
      lines: [`${d.method} ${d.url}`, `from ${d.origin}`],
    },
  ];
  if (preflight !== undefined)
    steps.push(
      {
        from: 'browser',
        to: 'corsgate',
        title: 'The preflight',
        lines: headerLines(preflight, `OPTIONS ${preflight.url}`),
      },
      upstreamStep(true, d.method),
      { from: 'corsgate', to: 'browser', title: 'The preflight response', lines: responseLines(preflight) },
    );
  if (actual !== undefined && preflight !== undefined && actual.status === 0)
    // A refused preflight: the browser lists the actual request but never sends it.
    steps.push({
      from: 'browser',
      to: 'browser',
      title: 'The request is never sent: the preflight failed',
      lines: headerLines(actual, `${actual.method} ${actual.url}`),
    });
  else if (actual !== undefined)
    steps.push(
      {
        from: 'browser',
        to: 'corsgate',
        title: 'The request',
        lines: headerLines(actual, `${actual.method} ${actual.url}`),
      },
      upstreamStep(false, actual.method),
      { from: 'corsgate', to: 'browser', title: 'The response', lines: responseLines(actual) },
    );
  else if (preflight !== undefined)
    steps.push({ from: 'browser', to: 'browser', title: 'The request is never sent', lines: [] });
  steps.push({ from: 'browser', to: 'page', title: `${d.title}`, lines: [] });
  return steps;
}

/** Columns a step spans, 1-based, for the CSS grid of lanes (style.ts `.seq`). */
function span(step: Step): string {
  const a = LANES.indexOf(step.from) + 1;
  const b = LANES.indexOf(step.to) + 1;
  return `s${Math.min(a, b)}-${Math.max(a, b) + 1}`;
}

function arrow(step: Step): string {
  if (step.from === step.to) return `${step.from}`;
  // Written left to right, as the lanes are: the arrow points at the receiver.
  return LANES.indexOf(step.to) > LANES.indexOf(step.from)
    ? `${step.from} → ${step.to}`
    : `${step.to} ← ${step.from}`;
}

function stepItem(step: Step): string {
  const lines = step.lines.length === 0 ? '' : `<pre>${step.lines.map((l) => shown(l)).join('\n')}</pre>`;
  return `<li class="${span(step)}"><div class="step"><span class="dir">${esc(arrow(step))}</span> <strong>${shown(step.title)}</strong>${lines}</div></li>`;
}

function sequence(c: FailureCase, n: number): string {
  const lanes = LANES.map((l) => `<span>${esc(l)}</span>`).join('');
  return `<div class="lanes" aria-hidden="true">${lanes}</div><ol class="seq" aria-label="Sequence of failure ${n}">${c.steps.map(stepItem).join('')}</ol>`;
}

function verdicts(c: FailureCase): string {
  const rows = c.engines
    .map((e) => {
      const word = e.blocked === null ? 'cannot tell' : e.blocked ? 'blocks' : 'allows';
      return `<tr><th scope="row">${esc(e.engine)}</th><td><strong>${esc(word)}</strong></td><td>${shown(e.text)}</td></tr>`;
    })
    .join('');
  return `<table class="verdicts"><caption class="muted">Each engine's verdict</caption><thead><tr><th scope="col">Engine</th><th scope="col">Verdict</th><th scope="col">Why</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function fixBlock(c: FailureCase, canWrite: boolean): string {
  const allow =
    c.allowOrigin === undefined
      ? ''
      : c.listedAt !== null
        ? `<p class="muted">${shown(c.allowOrigin)} is listed now (line ${c.listedAt}).</p>`
        : canWrite
          ? `<div class="row">${postButton('/console/add', { origin: c.allowOrigin, from: 'explain' }, `Allow ${c.allowOrigin}`)}</div>`
          : '<p class="muted">Sign in to add it to the list from here.</p>';
  const flags =
    c.flags.length === 0
      ? ''
      : `<p>Flags the gateway needs (set where it is started; the console changes only the list): <code>${shown(c.flags.join(' '))}</code></p>`;
  return `<h4>The fix</h4>${c.fix === undefined ? '' : `<p>On any server: ${shown(c.fix)}.</p>`}${c.corsgateFix === undefined ? '' : `<p>On corsgate: ${shown(c.corsgateFix)}.</p>`}${flags}${allow}`;
}

function caseBlock(c: FailureCase, n: number, canWrite: boolean): string {
  const id = c.classId === null ? '' : ` <code>${esc(c.classId)}</code>`;
  const notes =
    c.notes.length === 0
      ? ''
      : `<ul class="notes">${c.notes.map((t) => `<li>${shown(t)}</li>`).join('')}</ul>`;
  return `<article class="case" aria-labelledby="case-${n}-h"><h3 id="case-${n}-h">${shown(c.title)}${id}</h3>
${sequence(c, n)}${verdicts(c)}${fixBlock(c, canWrite)}${notes}</article>`;
}

/** The Explain page's main content: the form, then the error or each failure. */
export function failureSection(view: FailureView | undefined, canWrite: boolean): string {
  const form = `<form method="post" action="/console/explain-failure"><label for="fail-text">Console message or HAR text</label>
<p id="fail-hint" class="muted">Paste the browser's console line ("Access to fetch at … has been blocked by CORS policy: …", "Cross-Origin Request Blocked: …") or the whole text of a HAR export from the network panel.</p>
<textarea id="fail-text" name="text" spellcheck="false" aria-describedby="fail-hint">${textareaText(view?.text ?? '')}</textarea>
<div class="row"><button type="submit">Explain the failure</button></div></form>`;
  let out = '';
  if (view?.error !== undefined)
    out = `<div id="fail-error" class="msg bad" role="alert"><p>${shown(view.error)}</p></div>`;
  else if (view !== undefined) {
    const notes =
      view.notes.length === 0
        ? ''
        : `<ul class="notes">${view.notes.map((t) => `<li>${shown(t)}</li>`).join('')}</ul>`;
    const none = view.cases.length === 0 ? '<p>No failed cross-origin request in it.</p>' : '';
    out = `<div id="fail-result" role="status"><p>Read as ${view.kind === 'har' ? 'a HAR' : 'a console message'}.</p>${notes}</div>${none}${view.cases.map((c, i) => caseBlock(c, i + 1, canWrite)).join('')}`;
  }
  return `<section id="failure" aria-labelledby="failure-h"><h2 id="failure-h">Explain a failure</h2>${form}${out}</section>`;
}
