/**
 * The `corsgate` command: turns arguments into the library's config types and calls the library.
 * Each command module loads lazily so `--help` is instant; `main` never exits the process (only
 * bin.ts does), so tests drive it directly.
 */
import { gatewayVersion } from '../package-version.js';
import { EXIT } from './exit-codes.js';
import { type CliIo, type Command, processIo } from './io.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run the CORS gateway in front of an API (see docs/gateway.md)',
    load: async () => (await import('../commands/serve.js')).serve,
  },
  demo: {
    summary: 'show the engine deciding example requests (what `npm start` runs)',
    load: async () => (await import('../commands/demo.js')).demo,
  },
  check: {
    summary: 'what a browser would do for a cross-origin request to a live server, step by step',
    load: async () => (await import('../commands/check.js')).check,
  },
  scan: {
    summary:
      'the known CORS misconfigurations of a live API: severity, proof, impact, fix (text, JSON, SARIF)',
    load: async () => (await import('../commands/scan.js')).scan,
  },
  origin: {
    summary: 'the exact Origin header a page at a URL sends (the value to allowlist)',
    load: async () => (await import('../commands/origin.js')).origin,
  },
  lint: {
    summary: 'check an allowlist file: FILE:LINE:COL: severity CODE message, and --fix',
    load: async () => (await import('../commands/lint.js')).lint,
  },
  allowlist: {
    summary: 'push, pull, add or remove origins of a source: a file or a Redis URL (docs/sources.md)',
    load: async () => (await import('../commands/allowlist.js')).allowlist,
  },
  suggest: {
    summary: 'a proposed allowlist from the origins a running gateway has seen, a comment per entry',
    load: async () => (await import('../commands/suggest.js')).suggest,
  },
  export: {
    summary:
      'compile the allowlist and policy into nginx includes: nginx decides as corsgate does (docs/nginx.md)',
    load: async () => (await import('../commands/export.js')).exportCommand,
  },
  explain: {
    summary: "the engine's offline decision for a request against an allowlist or config file",
    load: async () => (await import('../commands/explain.js')).explain,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: corsgate <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "corsgate <command> --help" for a command's options; "corsgate --version" for the version.\n`;
}

/** `corsgate 0.1.0`: the version of the installed @corsgate/gateway package. */
export function version(): string {
  return `corsgate ${gatewayVersion()}\n`;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT.INVALID : EXIT.OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout.write(version());
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`corsgate: unknown command "${name}"\n\n${usage()}`);
    return EXIT.INVALID;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    io.stderr.write(
      `corsgate ${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.UNEXPECTED;
  }
}
