/**
 * `corsgate allowlist push|pull|add|remove`: write and read the list of a source, a file path or a
 * Redis URL (docs/cli.md, docs/sources.md). Every write is linted first and refused with the
 * `lint` lines when it has an error; each is one atomic version (a renamed file, or one
 * compare-and-set write in Redis). Exit codes as `lint`: 0 done, 1 warnings with --strict (nothing
 * written), 2 errors, an unreachable source or a conflict.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  AllowlistError,
  type AllowlistIssue,
  decodeAllowlist,
  formatAllowlistError,
  formatAllowlistIssue,
  parseAllowlist,
} from 'corsgate/allowlist';
import { jsonForTerminal } from 'corsgate/internal';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo, Command } from '../cli/io.js';
import { type ListSource, shownSource, sourceFor, type WriteResult } from '../sources/index.js';

export const ALLOWLIST_HELP = `Usage: corsgate allowlist push FILE --to SOURCE [options]
       corsgate allowlist pull --from SOURCE
       corsgate allowlist add ORIGIN... --to SOURCE [options]
       corsgate allowlist remove ORIGIN... --to SOURCE [options]

Writes and reads the allowed origins of a source: a file path, or
redis://[user:password@]host:port[/db][?key=NAME] (rediss:// for TLS) for the list a fleet
shares; redis+sentinel://SENTINEL[,SENTINEL…]/MASTER[/db] through Sentinel, or
redis+cluster://NODE[,NODE…] on a Cluster (docs/sources.md "Deployments"). Every write is linted first (as corsgate lint) and refused while it has an error; each
is one atomic version: every node applies it whole, or not at all.

  push FILE      replace the whole list with FILE's text (comments kept)
  pull           print the list's text (stdout); with --json, its version and hash too
  add ORIGIN     add entries (normalised; one already listed is skipped)
  remove ORIGIN  remove every line whose entry normalises to ORIGIN

Options:
  --to SOURCE / --from SOURCE   the file or Redis URL written / read
  --credentials        boolean, default false. Lint as used with credentials (refuses *, http://…)
  --expect-version N   Redis only: write only if N is still the version stored (compare-and-set;
                       0 = only if nothing was pushed yet); otherwise CG_ALLOWLIST_CONFLICT
  --strict             boolean, default false. Refuse a write with warnings (exit 1)
  --json               boolean, default false. Print the outcome as JSON
  -h, --help

Exit codes: 0 done, 1 warnings with --strict (nothing written), 2 errors in the list, a bad
argument, an unreachable source or a conflict.
`;

type Values = {
  to?: string;
  from?: string;
  credentials?: boolean;
  'expect-version'?: string;
  strict?: boolean;
  json?: boolean;
};

interface Outcome {
  readonly source: string;
  readonly version?: number;
  readonly hash: string;
  readonly written: boolean;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`corsgate allowlist: ${message}\n\n${ALLOWLIST_HELP}`);
  return EXIT.INVALID;
}

export const allowlist: Command = async (argv, io) => {
  const args = parseCommandArgs(
    'allowlist',
    argv,
    {
      to: { type: 'string' },
      from: { type: 'string' },
      credentials: { type: 'boolean' },
      'expect-version': { type: 'string' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    ALLOWLIST_HELP,
    io,
  );
  if (typeof args === 'number') return args;
  const values = args.values as Values;
  const [action, ...rest] = args.positionals;
  let expect: number | undefined;
  if (values['expect-version'] !== undefined) {
    expect = Number(values['expect-version']);
    if (!Number.isInteger(expect) || expect < 0)
      return usageError(io, `--expect-version must be a whole number ≥ 0, not "${values['expect-version']}"`);
  }
  try {
    switch (action) {
      case 'pull':
        if (values.from === undefined || rest.length > 0)
          return usageError(io, 'pull takes --from SOURCE only');
        return await pull(io, values.from, values.json === true);
      case 'push':
        if (values.to === undefined || rest.length !== 1)
          return usageError(io, 'push takes one FILE and --to SOURCE');
        return await push(io, rest[0]!, values.to, values, expect);
      case 'add':
      case 'remove':
        if (values.to === undefined || rest.length === 0)
          return usageError(io, `${action} takes one or more ORIGIN and --to SOURCE`);
        return await edit(io, action, rest, values.to, values, expect);
      default:
        return usageError(io, action === undefined ? 'give an action' : `unknown action "${action}"`);
    }
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    return refused(io, values.to ?? values.from ?? '', error, values.json === true);
  }
};

/** A refused write or read: the lint lines of its issues, or its one error; exit 2. */
function refused(io: CliIo, source: string, error: AllowlistError, json: boolean): number {
  const name = shownSource(source);
  if (json) {
    io.stdout.write(
      `${jsonForTerminal({ source: name, code: error.code, message: error.message, errors: error.issues })}\n`,
    );
  } else {
    // The issues go to stdout as lint's do; an error without issues to stderr.
    const out = error.issues.length > 0 ? io.stdout : io.stderr;
    for (const line of formatAllowlistError(error, name)) out.write(`${line}\n`);
  }
  return EXIT.INVALID;
}

async function pull(io: CliIo, from: string, json: boolean): Promise<number> {
  const source = sourceFor(from, io.cwd);
  const stored = await source.pull();
  const decoded = decodeAllowlist(stored.bytes);
  if (!decoded.ok)
    throw new AllowlistError(
      'CG_ALLOWLIST_INVALID_UTF8',
      `corsgate: line ${decoded.line} is not valid UTF-8 at column ${decoded.column}`,
    );
  const { bytes: _bytes, ...about } = stored;
  io.stdout.write(
    json
      ? `${JSON.stringify({ source: source.shown, text: decoded.text, ...about }, null, 2)}\n`
      : decoded.text,
  );
  return EXIT.OK;
}

async function push(
  io: CliIo,
  file: string,
  to: string,
  values: Values,
  expect: number | undefined,
): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(resolve(io.cwd, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AllowlistError(
      code === 'ENOENT' ? 'CG_ALLOWLIST_MISSING' : 'CG_ALLOWLIST_UNREADABLE',
      `corsgate: ${file}: ${code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`,
    );
  }
  const config = { credentials: values.credentials === true };
  // Lint first, with the file's own name in the lines, exactly as `corsgate lint FILE` prints them.
  const parsed = parseAllowlist(bytes, config);
  const lintExit = printLint(io, file, parsed.errors, parsed.warnings, values);
  if (lintExit !== EXIT.OK) return lintExit;
  const text = (decodeAllowlist(bytes) as { text: string }).text;
  const target = sourceFor(to, io.cwd);
  if (expect !== undefined && !target.versioned) return usageError(io, EXPECT_NEEDS_VERSIONS);
  const result = await target.push(text, {
    config,
    ...(expect === undefined ? {} : { expectVersion: expect }),
  });
  return done(io, target, result, values);
}

const EXPECT_NEEDS_VERSIONS = '--expect-version applies to a Redis source only';

async function edit(
  io: CliIo,
  action: 'add' | 'remove',
  origins: readonly string[],
  to: string,
  values: Values,
  expect: number | undefined,
): Promise<number> {
  const config = { credentials: values.credentials === true };
  const change = action === 'add' ? { add: origins } : { remove: origins };
  const target = sourceFor(to, io.cwd);
  if (expect !== undefined && !target.versioned) return usageError(io, EXPECT_NEEDS_VERSIONS);
  const result = await target.edit(change, {
    config,
    ...(expect === undefined ? {} : { expectVersion: expect }),
  });
  return done(io, target, result, values);
}

function printLint(
  io: CliIo,
  file: string,
  errors: readonly AllowlistIssue[],
  warnings: readonly AllowlistIssue[],
  values: Values,
): number {
  const all = [...errors, ...warnings].sort((a, b) => a.line - b.line || a.column - b.column);
  const out = values.json === true ? io.stderr : io.stdout;
  for (const i of all) out.write(`${formatAllowlistIssue(i, file)}\n`);
  if (errors.length > 0) {
    io.stderr.write(`corsgate allowlist: ${file} has ${errors.length} error(s); nothing written\n`);
    return EXIT.INVALID;
  }
  if (warnings.length > 0 && values.strict === true) {
    io.stderr.write(
      `corsgate allowlist: ${file} has ${warnings.length} warning(s) and --strict; nothing written\n`,
    );
    return EXIT.BLOCKED;
  }
  return EXIT.OK;
}

function done(io: CliIo, to: ListSource, result: WriteResult, values: Values): number {
  const outcome: Outcome = { source: to.shown, ...result };
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    return EXIT.OK;
  }
  const version = outcome.version === undefined ? '' : ` version ${outcome.version}`;
  const changes = [...outcome.added.map((o) => `added ${o}`), ...outcome.removed.map((o) => `removed ${o}`)];
  io.stdout.write(
    `${outcome.source}:${version} ${outcome.written ? 'written' : 'unchanged'} (sha256 ${outcome.hash.slice(0, 12)})${changes.length > 0 ? `: ${changes.join(', ')}` : ''}\n`,
  );
  return EXIT.OK;
}
