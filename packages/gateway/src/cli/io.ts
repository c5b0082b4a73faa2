/** What a command may touch, passed in so tests can drive `main(argv, io)` without a process. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown; isTTY?: boolean };
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The whole of standard input, for commands that take `-` (`corsgate explain --message -`). */
  readonly readStdin?: () => Promise<string>;
}

/** Streams whose reader went away (EPIPE): writes to them are dropped from then on. */
const readerGone = new WeakSet<NodeJS.WriteStream>();

/**
 * `corsgate demo | head -3`: when the reader closes the pipe, node reports EPIPE as an 'error'
 * event, which unhandled kills the process with a stack trace. The one place every command's
 * output goes through: the rest of the output is dropped quietly, and the command ends with its
 * own exit code (docs/cli.md "Exit codes").
 */
function quietWhenReaderLeaves(stream: NodeJS.WriteStream): CliIo['stdout'] {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || readerGone.has(stream)) {
      readerGone.add(stream);
      return;
    }
    throw error;
  });
  return {
    write: (chunk: string) => (readerGone.has(stream) ? false : stream.write(chunk)),
    get isTTY() {
      return stream.isTTY;
    },
  };
}

let processStreams: Pick<CliIo, 'stdout' | 'stderr'> | undefined;

export function processIo(): CliIo {
  processStreams ??= {
    stdout: quietWhenReaderLeaves(process.stdout),
    stderr: quietWhenReaderLeaves(process.stderr),
  };
  return { ...processStreams, env: process.env, cwd: process.cwd(), readStdin };
}

/** Colour only on a terminal, and never under NO_COLOR (https://no-color.org). */
export function useColour(io: CliIo, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColour = io.env['NO_COLOR'];
  return io[stream].isTTY === true && (noColour === undefined || noColour === '');
}

/** A command: takes its own arguments, returns an exit code; never calls process.exit. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
