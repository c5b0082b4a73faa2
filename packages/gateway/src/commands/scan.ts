/**
 * `corsgate scan URL [--origin TRUSTED …]`: the known CORS misconfigurations of a live API, each
 * with its severity, the probe that proved it, the attacker's gain and the fix. Argument parsing
 * and printing only; the probing is `runScan` (scan/), judged by the browser model.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { escapeControlCharacters, jsonForTerminal } from 'corsgate/internal';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { type Command, useColour } from '../cli/io.js';
import { printable } from '../cli/style.js';
import type { ConnectOptions } from '../probe/http.js';
import { atLeast, SEVERITIES, type Severity } from '../scan/findings.js';
import { renderScan, toSarif } from '../scan/report.js';
import { MAX_TRUSTED_ORIGINS, runScan } from '../scan/run.js';

export const SCAN_HELP = `Usage: corsgate scan URL [--origin TRUSTED]... [options]

Sends a bounded set of probes (at most 128 requests: GETs, preflights and one WebSocket
handshake, never a state-changing method) and reports each CORS misconfiguration found: any
origin reflected, null trusted, prefix/suffix/substring look-alikes, unescaped dots, special
characters in host names, subdomains, public suffixes and shared hosting (github.io, cloud
storage), origins not normalised, http:// origins, * with credentials, preflights not handled,
echoing any method or header, varying without Vary, Max-Age above an engine's cap, * standing for
Authorization, a preflight allowing what the response refuses, two Access-Control-Allow-Origin
lines, refusals answered 5xx, credentials or Private Network Access for any origin, a missing
Vary: Origin, errors without CORS headers, a WebSocket accepting any Origin. URL may be ws(s)://.
Every class, its severity, probe and fix: docs/cli.md.

Options:
  --origin TRUSTED     string, repeatable (at most ${MAX_TRUSTED_ORIGINS}), default none. An origin that SHOULD be trusted,
                       exactly as browsers send it, or scheme://*.domain for its subdomains; the
                       look-alikes are built from these (without any, from the URL's own origin)
  --delay MS           integer, default 0. Milliseconds between two requests
  --timeout MS         integer, default 10000. A deadline for each whole request
  --fail-on SEVERITY   low | medium | high | critical, default medium. Exit 1 at or above it
  --ca FILE            path, default none. Trust this CA (PEM) for an https URL
  --resolve HOST:ADDR  string, default none. Connect to ADDR for HOST (as curl --resolve)
  --json               boolean, default false. Print the report as JSON
  --sarif              boolean, default false. Print a SARIF 2.1.0 log (code scanning)
  -h, --help

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad input or unreachable.
`;

export const scan: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'scan',
    argv,
    {
      origin: { type: 'string', multiple: true },
      delay: { type: 'string' },
      timeout: { type: 'string' },
      'fail-on': { type: 'string' },
      ca: { type: 'string' },
      resolve: { type: 'string' },
      json: { type: 'boolean' },
      sarif: { type: 'boolean' },
    },
    SCAN_HELP,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push('give exactly one URL');
  const int = (name: string, text: string | undefined, fallback: number, min: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < min)
      problems.push(`--${name} must be a whole number of milliseconds ≥ ${min}`);
    return n;
  };
  const delayMs = int('delay', values.delay, 0, 0);
  const timeoutMs = int('timeout', values.timeout, 10_000, 1);
  const failOn = (values['fail-on'] ?? 'medium') as Severity;
  if (!SEVERITIES.includes(failOn)) problems.push(`--fail-on must be one of ${SEVERITIES.join(', ')}`);
  if (values.json === true && values.sarif === true) problems.push('give at most one of --json and --sarif');
  const connect = await connectOptions(values, positionals[0], io.cwd, problems);
  if (problems.length > 0) {
    io.stderr.write(`corsgate scan: ${problems.join('; ')}\n\n${SCAN_HELP}`);
    return EXIT.INVALID;
  }
  const report = await runScan({
    url: positionals[0]!,
    trusted: values.origin ?? [],
    delayMs,
    timeoutMs,
    connect,
  });
  const { error } = report;
  // A scan that could not finish says so in one line on stderr, whatever the format; a JSON or
  // SARIF document still goes where one was asked for (stdout redirected to a file or a pipe: a
  // code-scanning upload records the failed run), never onto a terminal (docs/cli.md "scan").
  if (error !== undefined) io.stderr.write(`corsgate scan: ${escapeControlCharacters(error.message)}\n`);
  const document = error === undefined || io.stdout.isTTY !== true;
  if (values.sarif === true) {
    if (document) io.stdout.write(`${jsonForTerminal(toSarif(report))}\n`);
  } else if (values.json === true) {
    if (document) io.stdout.write(`${jsonForTerminal(report)}\n`);
  } else if (error === undefined || report.findings.length > 0)
    io.stdout.write(renderScan(printable(report), failOn, useColour(io)));
  if (error !== undefined) return EXIT.INVALID;
  return report.findings.some((f) => atLeast(f.severity, failOn)) ? EXIT.FINDINGS : EXIT.OK;
};

/** `--resolve HOST:ADDRESS` and `--ca FILE`: how to reach the server (docs/cli.md "scan"). */
async function connectOptions(
  options: { readonly resolve?: string | undefined; readonly ca?: string | undefined },
  url: string | undefined,
  cwd: string,
  problems: string[],
): Promise<ConnectOptions> {
  let address: string | undefined;
  if (options.resolve !== undefined) {
    const colon = options.resolve.indexOf(':');
    address = options.resolve.slice(colon + 1);
    const host = options.resolve.slice(0, colon);
    if (colon <= 0 || isIP(address) === 0) problems.push('--resolve must be HOST:ADDRESS with an IP address');
    else if (url !== undefined && URL.canParse(url) && new URL(url).hostname !== host)
      problems.push(`--resolve names ${host}, not the URL's host`);
  }
  let ca: string | undefined;
  if (options.ca !== undefined) {
    try {
      ca = await readFile(resolve(cwd, options.ca), 'utf8');
    } catch (e) {
      problems.push(`cannot read --ca ${options.ca} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  return { ...(ca === undefined ? {} : { ca }), ...(address === undefined ? {} : { address }) };
}
