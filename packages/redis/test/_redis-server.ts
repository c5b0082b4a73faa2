/**
 * A real `redis-server` for the tests: its own free loopback port and temp directory, append-only
 * persistence (fsync always) so a SIGKILL loses nothing that was acknowledged, stopped by pid.
 * `.ci/run` installs redis-server on a fresh machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  pid(): number;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (the data comes back from the AOF). */
  restart(): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Sends PING until Redis answers PONG (at most 10 s). */
async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (v: boolean): void => {
        socket.destroy();
        resolve(v);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-redis-'));
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const log = join(dir, 'redis.log');
  const launchOnce = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--logfile',
        log,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--protected-mode',
        'yes',
      ],
      { stdio: 'ignore' },
    );
    child = proc;
    const exited = once(proc, 'exit').then(() => {
      throw new Error(`redis-server on ${port} exited at start: ${tail(log)}`);
    });
    exited.catch(() => undefined);
    await Promise.race([waitForPong(port), exited]);
  };
  // A restart on the same port can lose a race for it on a busy machine: try again a few times.
  const launch = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await launchOnce();
        return;
      } catch (error) {
        child?.kill('SIGKILL');
        if (attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  };
  await launch();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => child!.pid!,
    kill: async () => {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, 'exit');
      c.kill('SIGCONT');
      c.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      await server.kill();
      await launch();
    },
    pause: () => {
      child?.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
    stop: async () => {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}
