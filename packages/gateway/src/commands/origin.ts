/** `corsgate origin URL [--explain]`: the exact Origin a page at URL sends (the value to allowlist). */
import { originOfUrl } from '../browser-model/origin.js';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { Command } from '../cli/io.js';

export const ORIGIN_HELP = `Usage: corsgate origin URL [--explain] [--sandboxed] [--json]

Prints the Origin header a page at URL sends, as the WHATWG URL Standard serialises it.

Options:
  --explain    boolean, default false. Also say what changed and why
  --sandboxed  boolean, default false. The page is in a sandboxed iframe (origin null)
  --json       boolean, default false. Print {"url","origin","opaque","changes"}
  -h, --help

Exit codes: 0 printed, 2 not a URL or bad arguments.
`;

export const origin: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'origin',
    argv,
    { explain: { type: 'boolean' }, sandboxed: { type: 'boolean' }, json: { type: 'boolean' } },
    ORIGIN_HELP,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.stderr.write(`corsgate origin: give exactly one URL\n\n${ORIGIN_HELP}`);
    return EXIT.INVALID;
  }
  const url = positionals[0]!;
  const answer = originOfUrl(url, { sandboxed: values.sandboxed === true });
  if (answer === null) {
    io.stderr.write(
      `corsgate origin: "${url}" is not an absolute URL (it needs a scheme, e.g. https://${url.replace(/^\/+/, '')})\n`,
    );
    return EXIT.INVALID;
  }
  if (values.json === true) io.stdout.write(`${JSON.stringify({ url, ...answer }, null, 2)}\n`);
  else {
    io.stdout.write(`${answer.origin}\n`);
    if (values.explain === true) {
      if (answer.changes.length === 0) io.stdout.write('  (already in serialized form: nothing changed)\n');
      for (const c of answer.changes) io.stdout.write(`  - ${c}\n`);
      if (answer.opaque)
        io.stdout.write(
          '  Allowing "null" lets any sandboxed or data: document in; prefer serving the page from a real origin.\n',
        );
    }
  }
  return EXIT.OK;
};
