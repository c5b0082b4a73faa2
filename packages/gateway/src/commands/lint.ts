/**
 * `corsgate lint FILE`: every problem in an allowlist file as `FILE:LINE:COL: severity CODE
 * message (suggestion)`, the line format editors and CI annotate. The parsing and every code
 * come from `parseAllowlist` (corsgate/allowlist); this command only prints and, with --fix,
 * rewrites the file in normalised form.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isRedisSource, pullRedisAllowlist, pushRedisAllowlist } from '@corsgate/redis';
import {
  AllowlistError,
  type AllowlistIssue,
  decodeAllowlist,
  formatAllowlist,
  formatAllowlistIssue,
  parseAllowlist,
  writeFileAtomic,
} from 'corsgate/allowlist';
import { jsonForTerminal } from 'corsgate/internal';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { type Command, useColour } from '../cli/io.js';
import { shownSource } from '../cli/load-policy.js';
import { style } from '../cli/style.js';

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
  const s = style(useColour(io));
  if (isRedisSource(file)) return lintRedis(io, file, options, values, s);
  const path = resolve(io.cwd, file);

  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const issue: AllowlistIssue =
      code === 'ENOENT'
        ? {
            code: 'CG_ALLOWLIST_MISSING',
            severity: 'error',
            line: 0,
            column: 0,
            text: '',
            message: 'the file does not exist',
          }
        : {
            code: 'CG_ALLOWLIST_UNREADABLE',
            severity: 'error',
            line: 0,
            column: 0,
            text: '',
            message: `cannot read the file (${code ?? (e as Error).message})`,
          };
    return report(io, file, [issue], [], false, values, s);
  }
  let parsed = parseAllowlist(new Uint8Array(bytes), options);
  let fixed = false;
  if (values.fix === true) {
    if (parsed.errors.length > 0) {
      io.stderr.write(
        `corsgate lint: not fixing ${file}: ${parsed.errors.length} error(s) remain; fix them by hand first\n`,
      );
    } else {
      const decoded = decodeAllowlist(new Uint8Array(bytes));
      if (decoded.ok) {
        // The allowlist module's normalised form: comments, blank lines and order kept, duplicates
        // dropped, LF line ends, no BOM.
        const text = formatAllowlist(decoded.text, { removeDuplicates: true });
        if (text !== decoded.text) {
          await writeFileAtomic(path, text);
          fixed = true;
          parsed = parseAllowlist(text, options);
        }
      }
    }
  }
  return report(io, file, parsed.errors, parsed.warnings, fixed, values, s);
};

/** `lint redis://…`: the stored version, judged exactly like a file (docs/sources.md). */
async function lintRedis(
  io: Parameters<Command>[1],
  source: string,
  options: { credentials: boolean },
  values: { fix?: boolean; strict?: boolean; json?: boolean },
  s: ReturnType<typeof style>,
): Promise<number> {
  const shown = shownSource(source);
  const fileIssue = (code: AllowlistIssue['code'], message: string): AllowlistIssue => ({
    code,
    severity: 'error',
    line: 0,
    column: 0,
    text: '',
    message,
  });
  let stored: Awaited<ReturnType<typeof pullRedisAllowlist>>;
  try {
    stored = await pullRedisAllowlist(source);
  } catch (e) {
    if (!(e instanceof AllowlistError)) throw e;
    return report(io, shown, [fileIssue(e.code, e.message)], [], false, values, s);
  }
  if (stored === undefined)
    return report(
      io,
      shown,
      [fileIssue('CG_ALLOWLIST_MISSING', 'nothing was pushed to this source yet')],
      [],
      false,
      values,
      s,
    );
  let parsed = parseAllowlist(stored.text, options);
  let fixed = false;
  if (values.fix === true && parsed.errors.length === 0) {
    const text = formatAllowlist(stored.text, { removeDuplicates: true });
    if (text !== stored.text) {
      try {
        await pushRedisAllowlist(source, text, { config: options, expectVersion: stored.version });
      } catch (e) {
        if (!(e instanceof AllowlistError)) throw e;
        return report(io, shown, [fileIssue(e.code, e.message)], [], false, values, s);
      }
      fixed = true;
      parsed = parseAllowlist(text, options);
    }
  }
  return report(io, shown, parsed.errors, parsed.warnings, fixed, values, s);
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
