/**
 * Real nginx running `corsgate export nginx`'s includes, for the export tests (docs/nginx.md):
 * the export made in-process through the CLI's own entry, nginx started from Debian's binary in a
 * temporary prefix (its pid, logs and temp paths), listening on a free loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { main } from '../src/cli/main.js';
import { freePort, type TempDir, tempDir, waitForPort } from './helpers.js';

export const NGINX = '/usr/sbin/nginx';

/** Runs `corsgate export nginx ARGS --out .` in `cwd`; the exit code and everything printed. */
export async function runExport(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  const out: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => out.push(s) },
    env: {},
    cwd,
  };
  const code = await main(['export', 'nginx', ...args, '--out', '.'], io);
  return { code, output: out.join('') };
}

/** An nginx.conf including the two exports of `dir`, as docs/nginx.md shows it. */
export function nginxConf(dir: string, port: number, httpExtra = ''): string {
  return `load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  ${httpExtra.includes('access_log') ? '' : 'access_log off;'}
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${httpExtra}
  include ${dir}/corsgate-http.conf;
  server {
    listen 127.0.0.1:${port};
    include ${dir}/corsgate-server.conf;
  }
}
`;
}

export interface RunningNginx {
  readonly url: string;
  readonly port: number;
  readonly conf: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts nginx on the includes already written in `dir`. */
export async function startNginx(dir: TempDir, httpExtra = ''): Promise<RunningNginx> {
  const port = await freePort();
  const conf = dir.file('nginx.conf', nginxConf(dir.dir, port, httpExtra));
  const proc = spawn(NGINX, ['-p', dir.dir, '-c', conf], { stdio: 'ignore' });
  await waitForPort(port, proc);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    conf,
    proc,
    async stop() {
      if (proc.pid === undefined || proc.exitCode !== null) return;
      process.kill(proc.pid, 'SIGQUIT');
      await once(proc, 'exit');
    },
  };
}

/**
 * Exports with `args` in a new temporary directory (files written there first), then starts nginx;
 * `$DIR` in `httpExtra` names that directory.
 */
export async function exportAndStart(
  args: readonly string[],
  files: Readonly<Record<string, string>> = {},
  httpExtra = '',
): Promise<RunningNginx & { dir: TempDir }> {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) dir.file(name, text);
  const { code, output } = await runExport(args, dir.dir);
  if (code !== 0) {
    dir.remove();
    throw new Error(`corsgate export nginx exited ${code}: ${output}`);
  }
  const nginx = await startNginx(dir, httpExtra.replaceAll('$DIR', dir.dir));
  return {
    ...nginx,
    dir,
    async stop() {
      await nginx.stop();
      dir.remove();
    },
  };
}
