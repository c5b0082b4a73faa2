/** What a command may touch, passed in so tests can drive `main(argv, io)` without a process. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown; isTTY?: boolean };
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Colour only on a terminal, and never under NO_COLOR (https://no-color.org). */
export function useColour(io: CliIo, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColour = io.env['NO_COLOR'];
  return io[stream].isTTY === true && (noColour === undefined || noColour === '');
}

/** A command: takes its own arguments, returns an exit code; never calls process.exit. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;
