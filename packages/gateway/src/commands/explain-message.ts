/**
 * `corsgate explain --message TEXT`: a browser's console message in, the engine, the failure
 * class (docs/failures.md), what the server must have answered and the fix out (docs/cli.md
 * "corsgate explain --message").
 */
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { Command } from '../cli/io.js';
import { type Diagnosis, diagnoseMessage } from '../explain/diagnose.js';

export const EXPLAIN_MESSAGE_HELP = `Usage: corsgate explain --message TEXT [--origin ORIGIN] [--method M] [--json]
       pbpaste | corsgate explain --message -

Reads a browser's console message about a blocked cross-origin request (Chromium, Firefox or
WebKit/Safari, as pasted from the console) and says which engine wrote it, the failure class
(docs/failures.md), what the server must have answered, and the fix on any server and on corsgate
(the allowlist line, the flag). It asks only for what the message does not say.

Options:
  --message TEXT     string, required. The console text (one message, or the lines of one
                     failure); "-" reads it from standard input
  --origin ORIGIN    string, default none. The page origin, when the message does not name it
                     (Firefox never does)
  --method M         string, default none. The request method, when the message does not name
                     it (Firefox does not name a refused method)
  --json             boolean, default false. Print the diagnosis as JSON
  -h, --help

Exit codes: 0 explained, 1 not a CORS failure corsgate knows (or no CORS failure at all), 2 bad input.
`;

export const explainMessage: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'explain',
    argv,
    {
      message: { type: 'string' },
      origin: { type: 'string' },
      method: { type: 'string' },
      json: { type: 'boolean' },
    },
    EXPLAIN_MESSAGE_HELP,
    io,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  let text = values.message ?? '';
  if (text === '-') {
    if (io.readStdin === undefined) problems.push('--message - needs standard input');
    else text = await io.readStdin();
  }
  if (text.trim() === '' && problems.length === 0) problems.push('--message is empty');
  const origin = values.origin;
  if (
    origin !== undefined &&
    origin !== 'null' &&
    (!URL.canParse(origin) || new URL(origin).origin !== origin)
  )
    problems.push(
      `--origin "${origin}" is not an origin as a browser sends it (scheme://host[:port], no path or trailing slash); run "corsgate origin ${origin}" to get it`,
    );
  if (values.method !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(values.method))
    problems.push(`--method "${values.method}" is not an HTTP method`);
  if (problems.length > 0) {
    io.stderr.write(`corsgate explain: ${problems.join('; ')}\n\n${EXPLAIN_MESSAGE_HELP}`);
    return EXIT.INVALID;
  }
  const diagnosis = diagnoseMessage(text, {
    ...(origin === undefined ? {} : { origin }),
    ...(values.method === undefined ? {} : { method: values.method }),
  });
  io.stdout.write(
    values.json === true ? `${JSON.stringify(diagnosis, null, 2)}\n` : renderDiagnosis(diagnosis),
  );
  return diagnosis.classId === null ? EXIT.BLOCKED : EXIT.OK;
};

const ENGINE: Record<string, string> = {
  chromium: 'Chromium',
  firefox: 'Firefox',
  webkit: 'WebKit (Safari)',
};

export function renderDiagnosis(d: Diagnosis): string {
  const out: string[] = [];
  out.push(`engine: ${d.engine === null ? 'unknown' : ENGINE[d.engine]}`);
  out.push(
    d.classId === null
      ? `class: none (${d.title})`
      : `class: ${d.classId}: ${d.title} (docs/failures.md#${d.classId})`,
  );
  const f = d.facts;
  const said = (fact: 'origin' | 'method') => (d.fromFlags.includes(fact) ? ' (from --' + fact + ')' : '');
  if (f.url !== undefined || f.origin !== undefined || f.method !== undefined) {
    const parts = [
      f.method === undefined ? '' : `${f.method}${said('method')} `,
      f.url ?? '(URL not in the message)',
      f.origin === undefined ? '' : ` from ${f.origin}${said('origin')}`,
      f.preflight === true ? ', refused at the preflight' : '',
      f.status === undefined ? '' : `, status ${f.status}`,
      f.credentials === true ? ', with credentials' : '',
    ];
    out.push(`request: ${parts.join('')}`);
  }
  if (f.header !== undefined) out.push(`refused header: ${f.header}`);
  if (f.allowOrigin !== undefined) out.push(`server sent: Access-Control-Allow-Origin: ${f.allowOrigin}`);
  if (f.allowCredentials !== undefined)
    out.push(
      `server sent: Access-Control-Allow-Credentials: ${f.allowCredentials === '' ? '(absent)' : f.allowCredentials}`,
    );
  if (d.expected.length > 0) out.push('the server must have answered:', ...d.expected.map((l) => `  ${l}`));
  if (d.fix !== null) out.push(`fix (any server): ${d.fix.generic}`, `fix (corsgate): ${d.fix.corsgate}`);
  for (const n of d.needs)
    out.push(
      `needs: ${n.flag} ${n.fact.toUpperCase()}: ${n.why} (or a HAR export of the page, which holds it)`,
    );
  for (const n of d.notes) out.push(`note: ${n}`);
  return `${out.join('\n')}\n`;
}
