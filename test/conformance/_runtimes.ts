/**
 * The Fetch adapter on the runtimes it names (issue 22): `corsgate/fetch` and `corsgate/hono`
 * served by real Bun, Deno and workerd, whose binaries come with the pinned npm packages `bun`,
 * `deno` and `workerd`. runtimes/worker.ts is bundled once from the built package for a neutral
 * platform (no Node built-ins), and each runtime serves one handler per (policy, adapter) on its
 * own loopback port from one process. A runtime that cannot start fails the run with its output.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { rawRequest } from './_raw-http.js';
import type { Running, WayIn } from './_ways-in.js';
import { POLICIES } from './cases.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules', '.bin');

export type RuntimeName = 'bun' | 'deno' | 'workerd';
export const RUNTIMES: readonly RuntimeName[] = ['bun', 'deno', 'workerd'];

/** The runtime's version line, printed in the test output. */
export function runtimeVersion(runtime: RuntimeName): string {
  const out = execFileSync(join(BIN, runtime), ['--version'], { encoding: 'utf8' });
  return `${runtime} ${out.split('\n')[0]!.trim()}`;
}

/**
 * The worker and corsgate as ES modules, for every runtime: `entry.js` and the chunks it imports.
 * Split at dynamic imports, as a worker bundler must: the fetch and hono adapters import the
 * allowlist file watcher (`allowlist: <path>`, Node only) lazily, and that chunk alone takes Node
 * built-ins. Without splitting, esbuild hoists those imports into the entry and workerd, which has
 * no Node built-ins, refuses the module (docs/browsers.md "Runtimes").
 */
async function bundle(dir: string): Promise<string[]> {
  const source = join(dir, 'src');
  mkdirSync(source);
  const entry = join(source, 'entry.ts');
  writeFileSync(
    entry,
    `import { handlers } from ${JSON.stringify(join(import.meta.dirname, 'runtimes', 'worker.ts'))};\n` +
      `export const HANDLERS = handlers(${JSON.stringify(POLICIES)});\n`,
  );
  // platform neutral: a Node built-in imported by what the entry loads fails the run (workerd).
  const result = await build({
    entryPoints: [entry],
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import', 'worker'],
    target: 'es2022',
    external: ['crypto', 'fs', 'fs/promises', 'path'],
    metafile: true,
    logLevel: 'silent',
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return Object.keys(result.metafile.outputs).map((path) => basename(path));
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const KEYS = Object.keys(POLICIES).flatMap((p) => [`${p}:fetch`, `${p}:hono`]);

/** Bun and Deno: one `serve` per handler on port 0; the ports come back as one JSON line. */
function serveScript(runtime: 'bun' | 'deno'): string {
  const serve =
    runtime === 'bun'
      ? 'Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler }).port'
      : 'await new Promise((r) => Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: (a) => r(a.port) }, handler))';
  return `import { HANDLERS } from './entry.js';
const ports = {};
for (const [key, handler] of Object.entries(HANDLERS)) ports[key] = ${serve};
console.log(JSON.stringify(ports));
`;
}

/** workerd: one service per handler, each a worker of the same module told its key by a binding. */
function workerdConfig(ports: Record<string, number>, files: readonly string[]): string {
  const modules = ['workerd-entry.mjs', ...files].map((f) => `(name = "${f}", esModule = embed "${f}")`);
  const services = KEYS.map(
    (key, i) => `(name = "s${i}", worker = (
      modules = [ ${modules.join(', ')} ],
      bindings = [ (name = "KEY", text = "${key}") ],
      compatibilityDate = "2025-09-01" ))`,
  );
  const sockets = KEYS.map(
    (key, i) => `(name = "h${i}", address = "127.0.0.1:${ports[key]}", http = (), service = "s${i}")`,
  );
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ ${services.join(',\n')} ],
  sockets = [ ${sockets.join(',\n')} ],
);
`;
}

/** Waits for a runtime to print its ports (Bun, Deno) or to accept on every port (workerd). */
function started(
  proc: ChildProcess,
  output: string[],
  ports?: Record<string, number>,
): Promise<Record<string, number>> {
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`did not start within 20 s:\n${output.join('')}`)),
      20_000,
    );
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output.join('')}`));
    });
    const onData = (chunk: string): void => {
      output.push(chunk);
      const line = output
        .join('')
        .split('\n')
        .find((l) => l.startsWith('{'));
      if (ports === undefined && line !== undefined) {
        clearTimeout(timer);
        resolveStarted(JSON.parse(line) as Record<string, number>);
      }
    };
    proc.stdout?.setEncoding('utf8').on('data', onData);
    proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    if (ports !== undefined) {
      const poll = async (): Promise<void> => {
        const up = await Promise.all(
          Object.values(ports).map((port) =>
            fetch(`http://127.0.0.1:${port}/__corsgate/reasons`).then(
              (r) => r.ok,
              () => false,
            ),
          ),
        );
        if (up.every(Boolean)) {
          clearTimeout(timer);
          resolveStarted(ports);
        } else if (proc.exitCode === null) setTimeout(poll, 50);
      };
      void poll();
    }
  });
}

export interface RuntimeProcess {
  readonly version: string;
  readonly ports: Record<string, number>;
  close(): Promise<void>;
}

/** Starts one runtime serving every (policy, adapter) handler. */
export async function startRuntime(runtime: RuntimeName): Promise<RuntimeProcess> {
  const dir = mkdtempSync(join(tmpdir(), `corsgate-${runtime}-`));
  const files = await bundle(dir);
  let proc: ChildProcess;
  let expected: Record<string, number> | undefined;
  if (runtime === 'workerd') {
    expected = Object.fromEntries(await Promise.all(KEYS.map(async (k) => [k, await freePort()] as const)));
    writeFileSync(
      join(dir, 'workerd-entry.mjs'),
      "import { HANDLERS } from './entry.js';\nexport default { fetch: (request, env) => HANDLERS[env.KEY](request) };\n",
    );
    writeFileSync(join(dir, 'config.capnp'), workerdConfig(expected, files));
    proc = spawn(join(BIN, 'workerd'), ['serve', 'config.capnp'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    writeFileSync(join(dir, 'serve.mjs'), serveScript(runtime));
    const args =
      runtime === 'bun' ? ['serve.mjs'] : ['run', '--allow-net=127.0.0.1', '--no-prompt', 'serve.mjs'];
    proc = spawn(join(BIN, runtime), args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, '.deno') },
    });
  }
  const output: string[] = [];
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    const ports = await started(proc, output, expected);
    return {
      version: runtimeVersion(runtime),
      ports,
      async close() {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${runtime}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The ways in one runtime process offers: `<runtime>-fetch` and `<runtime>-hono`. */
export function runtimeWays(runtime: RuntimeName, process: () => RuntimeProcess): WayIn[] {
  return (['fetch', 'hono'] as const).map((adapter) => ({
    name: `${runtime}-${adapter}` as WayIn['name'],
    async start(options) {
      const key = Object.entries(POLICIES).find(([, p]) => p === options)?.[0];
      if (key === undefined) throw new Error('a runtime way in serves only the policies of cases.ts');
      const baseUrl = `http://127.0.0.1:${process().ports[`${key}:${adapter}`]}`;
      const reasons = async (): Promise<string[]> =>
        (await (await fetch(`${baseUrl}/__corsgate/reasons`)).json()) as string[];
      return {
        baseUrl,
        close: async () => {},
        async send(request) {
          await reasons();
          const response = await rawRequest(baseUrl, request);
          return { response, reasons: await reasons() };
        },
      } satisfies Running;
    },
  }));
}
