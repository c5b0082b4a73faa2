/**
 * The argument boundary every command shares (one error boundary, done one way): a parse error
 * prints the message and the command's usage and exits 2; `--help`/`-h` prints the usage and
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
    io.stderr.write(`corsgate ${command}: ${(error as Error).message}\n\n${usage}`);
    return EXIT.INVALID;
  }
  if (parsed.values['help'] === true) {
    io.stdout.write(usage);
    return EXIT.OK;
  }
  return parsed as ParsedArgs<O>;
}
