/**
 * `corsgate check URL --origin ORIGIN …`: what a browser would do for this request, step by step.
 * Argument parsing and printing only; the logic is `checkRequest` (browser model + HTTP).
 */
import { escapeControlCharacters, jsonForTerminal } from 'corsgate/internal';
import { BROWSERS, type Browser, type HeaderPair } from '../browser-model/index.js';
import { type CheckTrace, checkRequest, MISTAKES, type TraceStep } from '../check/check-request.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { type CliIo, type Command, useColour } from '../cli/io.js';
import { printable, style } from '../cli/style.js';

export const CHECK_HELP = `Usage: corsgate check URL --origin ORIGIN [options]

Simulates a browser's cross-origin fetch() against a live server: the preflight (if one is
needed), every check a browser applies, the actual request, and what the script can read.

Options:
  --origin ORIGIN        string, required. The page's Origin, e.g. https://app.example.com or null
  --method M             string, default GET. Normalised as browsers do (put → PUT, patch stays)
  --header 'Name: value' string, repeatable, default none. A header the script sets
  --credentials          boolean, default false. credentials: 'include' (cookies, HTTP auth)
  --browser NAME         chromium | firefox | safari, default chromium
  --timeout MS           integer, default 10000. A deadline for each whole HTTP exchange
  --no-probe             boolean, default false. Send nothing but the request itself: no re-sent
                         GET/HEAD to detect a missing Vary, no reflection and null probes after
                         an allowed credentialed request
  --json                 boolean, default false. Print the whole trace as JSON
  -h, --help

A method other than GET or HEAD is sent for real once the preflight passes, as the browser
would send it: check warns on stderr first; point it at a test server or a harmless URL.

Exit codes: 0 the browser would allow it, 1 it would block it, 2 bad input or unreachable.
`;

export const check: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'check',
    argv,
    {
      origin: { type: 'string' },
      method: { type: 'string' },
      header: { type: 'string', multiple: true, short: 'H' },
      credentials: { type: 'boolean' },
      browser: { type: 'string' },
      timeout: { type: 'string' },
      'no-probe': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    CHECK_HELP,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push('give exactly one URL');
  if (values.origin === undefined) problems.push('--origin is required');
  const browser = values.browser ?? 'chromium';
  if (!(BROWSERS as readonly string[]).includes(browser))
    problems.push(`--browser must be one of ${BROWSERS.join(', ')}, not "${browser}"`);
  const timeout = values.timeout === undefined ? 10_000 : Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout <= 0)
    problems.push('--timeout must be a positive integer (milliseconds)');
  const headers: HeaderPair[] = [];
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) problems.push(`--header "${h}" is not "Name: value"`);
    else headers.push([h.slice(0, colon).trim(), h.slice(colon + 1)]);
  }
  if (problems.length > 0) {
    io.stderr.write(`corsgate check: ${problems.join('; ')}\n\n${CHECK_HELP}`);
    return EXIT.INVALID;
  }
  warnIfUnsafe(io, values.method ?? 'GET', positionals[0]!);
  const trace = await checkRequest({
    url: positionals[0]!,
    origin: values.origin!,
    method: values.method ?? 'GET',
    headers,
    credentials: values.credentials === true,
    browser: browser as Browser,
    timeoutMs: timeout,
    probeVary: values['no-probe'] !== true,
    probeOverTrust: values['no-probe'] !== true,
  });
  if (values.json === true) io.stdout.write(`${jsonForTerminal(trace)}\n`);
  else if (trace.verdict === 'error' && trace.error?.code === 'bad-input')
    io.stderr.write(`corsgate check: ${escapeControlCharacters(trace.error.message)}\n`);
  else io.stdout.write(renderTrace(printable(trace), useColour(io)));
  return exitCodeOf(trace);
};

/**
 * `check` acts as the browser would: once a preflight passes, the real request follows, and a PUT,
 * PATCH, DELETE or POST may change data on the server. Said on stderr before anything is sent
 * (docs/cli.md "Unsafe methods are sent for real").
 */
function warnIfUnsafe(io: CliIo, method: string, url: string): void {
  const upper = method.toUpperCase();
  if (upper === 'GET' || upper === 'HEAD' || upper === 'OPTIONS') return;
  io.stderr.write(
    `corsgate check: warning: ${upper} is sent for real to ${url} when the browser would send it (after a passing preflight); the server may act on it: point check at a test server or a harmless URL\n`,
  );
}

export function exitCodeOf(trace: CheckTrace): number {
  return trace.verdict === 'allowed' ? EXIT.OK : trace.verdict === 'blocked' ? EXIT.BLOCKED : EXIT.INVALID;
}

/** The readable report: one line per step, the failing header and its value, and the fix. */
export function renderTrace(trace: CheckTrace, colour: boolean): string {
  const s = style(colour);
  const out: string[] = [];
  const { input } = trace;
  out.push(
    s.bold(
      `${input.method} ${input.url} from ${input.origin}${input.credentials ? ' with credentials' : ''} (${input.browser})`,
    ),
  );
  const mark = (step: TraceStep): string =>
    step.status === 'pass'
      ? s.green('✓')
      : step.status === 'fail'
        ? s.red('✗')
        : step.status === 'warn'
          ? s.yellow('!')
          : s.dim('·');
  let phase = '';
  const shown = new Set<string>();
  for (const step of trace.steps) {
    if (step.phase !== phase) {
      phase = step.phase;
      // The exchange summary belongs to the first request; redirect hops name their URL in each step.
      const firstTime = !shown.has(phase);
      shown.add(phase);
      const ex = !firstTime
        ? undefined
        : phase === 'preflight'
          ? trace.preflight.exchange
          : phase === 'actual'
            ? trace.actual
            : undefined;
      out.push(
        '',
        `${phase}${ex?.response === undefined ? '' : ` (${ex.request.method} → ${ex.response.status})`}:`,
      );
      out.push(`  ${mark(step)} ${step.message}${step.rule === undefined ? '' : s.dim(` [${step.rule}]`)}`);
      // The preflight as sent, right after the step that says why it is needed.
      if (phase === 'preflight' && ex !== undefined)
        for (const [n, v] of ex.request.headers) out.push(s.dim(`    > ${n}: ${v}`));
    } else
      out.push(`  ${mark(step)} ${step.message}${step.rule === undefined ? '' : s.dim(` [${step.rule}]`)}`);
    if (step.status === 'fail' && step.header !== undefined)
      out.push(`      header: ${step.header}: ${step.value === null ? '(absent)' : step.value}`);
    if (step.fix !== undefined && step.status !== 'pass') out.push(`      fix: ${step.fix}`);
  }
  if (trace.overTrust !== undefined) {
    out.push('', 'over-trust (allowed with credentials, so the reflection and null probes ran):');
    if (trace.overTrust.length === 0)
      out.push(`  ${s.green('✓')} neither an arbitrary origin nor null is allowed`);
    for (const f of trace.overTrust) {
      out.push(
        `  ${s.red('!')} ${f.severity} ${f.id}: ${f.message}; the server trusts origins it should not`,
      );
      out.push(`      impact: ${f.impact}`, `      fix: ${f.fix}`);
    }
  }
  if (trace.mistakes.length > 0) {
    out.push('', 'server mistakes:');
    for (const m of trace.mistakes) {
      out.push(`  ${s.yellow('!')} ${m.code} (${MISTAKES[m.code]}): ${m.message}`);
      if (m.header !== undefined) out.push(`      header: ${m.header}: ${m.value ?? '(absent)'}`);
      out.push(`      fix: ${m.fix}`);
    }
  }
  out.push('');
  if (trace.verdict === 'error') out.push(s.red(`error: ${trace.error?.message ?? 'unknown'}`));
  else if (trace.verdict === 'allowed')
    out.push(s.green('verdict: allowed — the browser gives the script the response'));
  else out.push(s.red('verdict: blocked — the browser reports a CORS error (a network error to the script)'));
  return `${out.join('\n')}\n`;
}
