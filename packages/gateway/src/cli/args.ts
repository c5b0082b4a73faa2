/**
 * The argument boundary every command shares (one error boundary, done one way): a parse error
 * prints one line (an unknown option with the nearest known one: "unknown option --allow-list;
 * did you mean --allowlist?") and where the options are listed, and exits 2; `--help`/`-h` prints the usage and
 * exits 0; otherwise the caller gets the parsed, typed arguments.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };
export type ParsedArgs<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<O>; allowPositionals: true; strict: true }>
>;

/**
 * @param command the command's name, for messages (`corsgate lint: …`)
 * @param options the command's options; `help` (`-h`) is added
 * @param usage the command's help text
 * @param allowPositionals whether bare arguments are accepted (default true)
 * @returns the parsed arguments, or the exit code to return at once
 */
export function parseCommandArgs<const O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
  usage: string,
  io: CliIo,
  allowPositionals = true,
): ParsedArgs<O> | number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    io.stderr.write(`corsgate ${command}: ${parseErrorMessage(error as NodeJS.ErrnoException, options)}\n`);
    io.stderr.write(`Run "corsgate ${command} --help" for every option.\n`);
    return EXIT.INVALID;
  }
  if (parsed.values['help'] === true) {
    io.stdout.write(usage);
    return EXIT.OK;
  }
  return parsed as ParsedArgs<O>;
}

/** node's parseArgs message in the house's words, with a did-you-mean for an unknown option. */
function parseErrorMessage(error: NodeJS.ErrnoException, options: Options): string {
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return error.message;
  const given = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const nearest = nearestOption(given, Object.keys(options));
  return `unknown option ${given}${nearest === undefined ? '' : `; did you mean --${nearest}?`}`;
}

/**
 * The known option closest to a mistyped one: equal once hyphens and case are ignored
 * (`--allow-list`, `--Allowlist`), else within two edits (`--upstrem`); undefined when none is.
 */
export function nearestOption(given: string, known: readonly string[]): string | undefined {
  const bare = (name: string) => name.replace(/^-+/, '').replaceAll('-', '').toLowerCase();
  const wanted = bare(given.split('=')[0]!);
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = wanted === bare(name) ? 0 : editDistance(wanted, bare(name));
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}
