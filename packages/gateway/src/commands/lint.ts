/**
 * `corsgate lint FILE`: every problem in an allowlist file as `FILE:LINE:COL: severity CODE
 * message (suggestion)`, the line format editors and CI annotate. The parsing and every code
 * come from `parseAllowlist` (corsgate/allowlist); this command only prints and, with --fix,
 * rewrites the file in normalised form.
 */
import {
  AllowlistError,
  type AllowlistIssue,
  decodeAllowlist,
  formatAllowlist,
  formatAllowlistIssue,
  parseAllowlist,
} from 'corsgate/allowlist';
import { jsonForTerminal } from 'corsgate/internal';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { type Command, useColour } from '../cli/io.js';
import { style } from '../cli/style.js';
import { type ListSource, type StoredList, sourceFor } from '../sources/index.js';

export const LINT_HELP = `Usage: corsgate lint FILE|SOURCE [--credentials] [--fix] [--strict] [--json]

Checks an allowlist file (one origin a line, # comments) and prints every problem as
FILE:LINE:COL: severity CODE message (suggestion). A Redis source
(redis://host:port[/db][?key=NAME]) is checked as the version stored there; --fix writes the
normalised text back as one new version, only if no one changed it meanwhile.

Options:
  --credentials  boolean, default false. Lint as used with credentials (refuses *, http://, …)
  --fix          boolean, default false. Rewrite the file in normalised form (lower case,
                 punycode, no default port or trailing slash, duplicates removed, LF line ends,
                 no BOM), keeping comments, blank lines and order; atomically (temp file, fsync,
                 rename); never while an error remains
  --strict       boolean, default false. Exit 1 when there are warnings
  --json         boolean, default false. Print {"file","errors","warnings","fixed"}
  -h, --help

Exit codes: 0 clean (or warnings without --strict), 1 warnings with --strict, 2 errors or an
unreadable file.
`;

export const lint: Command = async (argv, io) => {
  const args = parseCommandArgs(
    'lint',
    argv,
    {
      credentials: { type: 'boolean' },
      fix: { type: 'boolean' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    LINT_HELP,
    io,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  if (positionals.length !== 1) {
    io.stderr.write(`corsgate lint: give exactly one FILE\n\n${LINT_HELP}`);
    return EXIT.INVALID;
  }
  const file = positionals[0]!;
  const options = { credentials: values.credentials === true };
  return lintSource(io, sourceFor(file, io.cwd), options, values, style(useColour(io)));
};

/** The source's stored text, judged line by line; `--fix` writes the normalised text back (docs/sources.md). */
async function lintSource(
  io: Parameters<Command>[1],
  source: ListSource,
  options: { credentials: boolean },
  values: { fix?: boolean; strict?: boolean; json?: boolean },
  s: ReturnType<typeof style>,
): Promise<number> {
  const whole = (e: AllowlistError): number =>
    report(io, source.shown, [wholeSourceIssue(e)], [], false, values, s);
  let stored: StoredList;
  try {
    stored = await source.pull();
  } catch (e) {
    if (!(e instanceof AllowlistError)) throw e;
    return whole(e);
  }
  let parsed = parseAllowlist(stored.bytes, options);
  let fixed = false;
  if (values.fix === true && parsed.errors.length > 0) {
    io.stderr.write(
      `corsgate lint: not fixing ${source.shown}: ${parsed.errors.length} error(s) remain; fix them by hand first\n`,
    );
  } else if (values.fix === true) {
    const decoded = decodeAllowlist(stored.bytes);
    // The allowlist module's normalised form: comments, blank lines and order kept, duplicates
    // dropped, LF line ends, no BOM.
    const text = decoded.ok ? formatAllowlist(decoded.text, { removeDuplicates: true }) : undefined;
    if (decoded.ok && text !== undefined && text !== decoded.text) {
      try {
        // Only if no one changed it meanwhile, where the source keeps versions.
        await source.push(text, {
          config: options,
          ...(stored.version === undefined ? {} : { expectVersion: stored.version }),
        });
      } catch (e) {
        if (!(e instanceof AllowlistError)) throw e;
        return whole(e);
      }
      fixed = true;
      parsed = parseAllowlist(text, options);
    }
  }
  return report(io, source.shown, parsed.errors, parsed.warnings, fixed, values, s);
}

/** A source that cannot be read or written as a whole: one issue on line 0. */
function wholeSourceIssue(e: AllowlistError): AllowlistIssue {
  return { code: e.code, severity: 'error', line: 0, column: 0, text: '', message: e.message };
}

function report(
  io: Parameters<Command>[1],
  file: string,
  errors: readonly AllowlistIssue[],
  warnings: readonly AllowlistIssue[],
  fixed: boolean,
  values: { strict?: boolean; json?: boolean },
  s: ReturnType<typeof style>,
): number {
  if (values.json === true) io.stdout.write(`${jsonForTerminal({ file, errors, warnings, fixed })}\n`);
  else {
    const all = [...errors, ...warnings].sort((a, b) => a.line - b.line || a.column - b.column);
    for (const i of all) {
      const line = formatAllowlistIssue(i, file);
      io.stdout.write(`${i.severity === 'error' ? s.red(line) : s.yellow(line)}\n`);
    }
    if (fixed) io.stdout.write(`${file}: rewritten in normalised form\n`);
  }
  if (errors.length > 0) return EXIT.INVALID;
  if (warnings.length > 0 && values.strict === true) return EXIT.BLOCKED;
  return EXIT.OK;
}
