/**
 * `corsgate explain --har FILE`: every failed cross-origin request of a HAR exported from a
 * browser's network panel, with its class, each engine's verdict and the fix (docs/cli.md
 * "explain --har"). Reading, pairing and judging live in ../har; this only reads the file and prints.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { type CliIo, useColour } from '../cli/io.js';
import { printable } from '../cli/style.js';
import { diagnoseHar } from '../har/diagnose.js';
import { readHar } from '../har/read.js';
import { harToSarif, renderHarReport } from '../har/report.js';

export const EXPLAIN_HAR_HELP = `Usage: corsgate explain --har FILE [--json | --sarif]

Reads a HAR exported from Chromium, Firefox or Safari ("Save all as HAR" in the network panel),
finds every cross-origin request that failed or was blocked, pairs each preflight with its request,
replays the browser's checks for each engine, and says for each: the class (docs/failures.md),
what each engine does, the fix on any server and on corsgate, and what the file cannot tell.
Failures that look like CORS but are not (Local Network Access, mixed content, an extension, a
network error, a redirected preflight) are named as such.

Options:
  --har FILE   path. The HAR file (- for stdin)
  --json       boolean, default false. Print the report as JSON
  --sarif      boolean, default false. Print a SARIF 2.1.0 log
  -h, --help

Exit codes: 0 no failed cross-origin request, 1 at least one, 2 bad input (CG_HAR_* in docs/errors.md).
`;

async function readInput(cwd: string, file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  return readFile(resolve(cwd, file), 'utf8');
}

export async function explainHar(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    'explain',
    argv,
    { har: { type: 'string' }, json: { type: 'boolean' }, sarif: { type: 'boolean' } },
    EXPLAIN_HAR_HELP,
    io,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.json === true && values.sarif === true) {
    io.stderr.write('corsgate explain: give at most one of --json and --sarif\n');
    return EXIT.INVALID;
  }
  const file = values.har!;
  let text: string;
  try {
    text = await readInput(io.cwd, file);
  } catch (error) {
    io.stderr.write(`${file}: error CG_HAR_UNREADABLE ${(error as Error).message}\n`);
    return EXIT.INVALID;
  }
  const har = readHar(text);
  if ('code' in har) {
    io.stderr.write(`${file}: error ${har.code} ${har.message}\n`);
    return EXIT.INVALID;
  }
  const report = diagnoseHar(har);
  if (values.json === true) io.stdout.write(`${JSON.stringify({ file, ...report }, null, 2)}\n`);
  else if (values.sarif === true) io.stdout.write(`${JSON.stringify(harToSarif(file, report), null, 2)}\n`);
  else io.stdout.write(renderHarReport(file, printable(report), useColour(io)));
  return report.diagnoses.length === 0 ? EXIT.OK : EXIT.BLOCKED;
}
