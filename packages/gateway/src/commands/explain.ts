/**
 * `corsgate explain`: the engine's offline decision for one request, from an allowlist file or a
 * JSON config file. The request side (preflight or not, the ACRH value) comes from the browser
 * model, the decision from the engine; the CLI adds nothing of its own.
 */
import { type Decision, formatProblem, REASONS, type RequestFacts } from 'corsgate';
import { parseScriptRequest, scriptRequestFacts } from '../browser-model/index.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { Command } from '../cli/io.js';
import { type Loaded, loadAllowlistPolicy, loadConfigPolicy, loadYamlPolicy } from '../cli/load-policy.js';
import { type FlagValues, policyFromFlagsOnly } from '../config/load.js';

export const EXPLAIN_HELP = `Usage: corsgate explain (--allowlist SOURCE | --config FILE) --origin ORIGIN [options]
       corsgate explain --message TEXT|- [--origin O] [--method M] [--json]   (see --message --help)
       corsgate explain --har FILE [--json | --sarif]   (see --har --help)

Asks the corsgate engine, offline, how it answers one request: the kind (preflight, actual,
same-origin, not-cors), allowed or not, the exact response headers, and the reason code.

Options:
  --allowlist SOURCE path or URL. An allowlist file (one origin a line), or a Redis source
                     (redis://host:port[/db][?key=NAME]): the version stored there
  --config FILE      path. A gateway config (corsgate.yaml, .yaml/.yml: its policy and the
                     allowlist file it names) or a JSON file holding the engine's config object
  --path PATH        string, default none. With a YAML config: the request path, to pick the
                     route the gateway would use (its own origins and policy overrides)
  --origin ORIGIN    string, required. The request's Origin header
  --method M         string, default GET. The method the script uses (normalised as browsers do)
  --header NAME      string, repeatable. A header the script sets: "Name" or "Name: value"
                     (a bare name counts as CORS-unsafe; with a value, the safelist rules decide)
  --credentials      boolean, default false. Allow credentialed requests
  --methods LIST     string, default none. Methods beyond GET, HEAD, POST, comma-separated
  --request-headers LIST
                     string, default none. Request headers scripts may send, comma-separated
  --expose-headers LIST
                     string, default none. Response headers scripts may read, comma-separated
  --max-age N        integer, default none. Seconds a browser may cache a preflight (0..86400)
                     These five are the policy flags of \`corsgate serve\`, read by the same code;
                     with --config they are laid over the file's policy, as serve does
  --json             boolean, default false. Print the decision as JSON
  -h, --help

Exit codes: 0 allowed, 1 refused, 2 bad input or an invalid file.
`;

export const explain: Command = async (argv, io) => {
  // A console message is its own input (docs/cli.md "corsgate explain --message").
  if (argv.some((a) => a === '--message' || a.startsWith('--message=')))
    return (await import('./explain-message.js')).explainMessage(argv, io);
  // A HAR is its own input (docs/cli.md "explain --har"): read, paired and judged in ../har.
  if (argv.some((a) => a === '--har' || a.startsWith('--har=')))
    return (await import('./explain-har.js')).explainHar(argv, io);
  const parsed = parseCommandArgs(
    'explain',
    argv,
    {
      allowlist: { type: 'string' },
      config: { type: 'string' },
      origin: { type: 'string' },
      method: { type: 'string' },
      header: { type: 'string', multiple: true, short: 'H' },
      credentials: { type: 'boolean' },
      methods: { type: 'string' },
      'request-headers': { type: 'string' },
      'expose-headers': { type: 'string' },
      'max-age': { type: 'string' },
      json: { type: 'boolean' },
      path: { type: 'string' },
    },
    EXPLAIN_HELP,
    io,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  if ((values.allowlist === undefined) === (values.config === undefined))
    problems.push('give exactly one of --allowlist SOURCE and --config FILE');
  if (values.origin === undefined) problems.push('--origin is required');
  const script = parseScriptRequest(values.origin ?? '', values.method ?? 'GET', values.header ?? []);
  if (!script.ok) problems.push(...script.problems);
  if (problems.length > 0 || !script.ok) {
    io.stderr.write(`corsgate explain: ${problems.join('; ')}\n\n${EXPLAIN_HELP}`);
    return EXIT.INVALID;
  }
  // The policy flags `serve` takes, read by the gateway's own code so both agree (docs/cli.md).
  const policyFlags: FlagValues = {
    ...(values.credentials === true ? { credentials: true } : {}),
    ...(values.methods === undefined ? {} : { methods: values.methods }),
    ...(values['request-headers'] === undefined ? {} : { requestHeaders: values['request-headers'] }),
    ...(values['expose-headers'] === undefined ? {} : { exposeHeaders: values['expose-headers'] }),
    ...(values['max-age'] === undefined ? {} : { maxAge: values['max-age'] }),
  };
  const loaded = await loadPolicy(io.cwd, values, policyFlags);
  if (!loaded.ok) {
    for (const line of loaded.errors) io.stderr.write(`${line}\n`);
    return EXIT.INVALID;
  }
  for (const line of loaded.warnings) io.stderr.write(`${line}\n`);
  if (loaded.route !== undefined) io.stderr.write(`route: ${loaded.route}\n`);

  const facts = scriptRequestFacts(script.request);
  const decision = loaded.policy.evaluate(facts);
  if (values.json === true)
    io.stdout.write(
      `${JSON.stringify({ request: facts, decision, explanation: REASONS[decision.reason] }, null, 2)}\n`,
    );
  else io.stdout.write(renderDecision(facts, decision));
  return decision.allowed ? EXIT.OK : EXIT.BLOCKED;
};

async function loadPolicy(
  cwd: string,
  files: { allowlist?: string; config?: string; path?: string },
  policyFlags: FlagValues,
): Promise<Loaded> {
  if (files.config !== undefined && /\.ya?ml$/i.test(files.config))
    return loadYamlPolicy(cwd, files.config, files.path, policyFlags);
  const flags = policyFromFlagsOnly(policyFlags);
  const errors = flags.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) return { ok: false, errors: errors.map(formatProblem) };
  if (files.allowlist !== undefined) return loadAllowlistPolicy(cwd, files.allowlist, flags.policy);
  return loadConfigPolicy(cwd, files.config!, flags.policy);
}

function renderDecision(facts: RequestFacts, d: Decision): string {
  const out: string[] = [];
  out.push(
    facts.method === 'OPTIONS'
      ? `request: preflight OPTIONS for ${String(facts.accessControlRequestMethod)}${facts.accessControlRequestHeaders === undefined ? '' : ` with Access-Control-Request-Headers: ${String(facts.accessControlRequestHeaders)}`} from ${String(facts.origin)}`
      : `request: ${facts.method} from ${String(facts.origin)} (no preflight)`,
  );
  out.push(`kind: ${d.kind}`);
  out.push(`allowed: ${d.allowed ? 'yes' : 'no'}`);
  if (d.status !== undefined) out.push(`status: ${d.status}`);
  out.push(`reason: ${d.reason}${d.detail === undefined ? '' : ` (${d.detail})`}: ${REASONS[d.reason]}`);
  const names = Object.keys(d.headers);
  out.push(names.length === 0 && d.vary.length === 0 ? 'response headers: (none)' : 'response headers:');
  for (const [n, v] of Object.entries(d.headers)) out.push(`  ${n}: ${v}`);
  if (d.vary.length > 0) out.push(`  Vary: ${d.vary.join(', ')}  (appended)`);
  return `${out.join('\n')}\n`;
}
