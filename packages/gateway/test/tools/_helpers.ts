/** Shared test helpers: loopback servers on port 0, a captured CLI io, and the built binary. */
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CorsConfig, createPolicy } from 'corsgate';
import type { CliIo } from '../../src/cli/io.js';

export interface TestServer {
  readonly url: string;
  readonly origin: string;
  /** Every request received: method and raw header lines. */
  readonly seen: { method: string; rawHeaders: string[] }[];
  close(): Promise<void>;
}

export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const seen: { method: string; rawHeaders: string[] }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', rawHeaders: [...req.rawHeaders] });
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/items`,
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A correct server: the corsgate engine decides, the handler only translates (as an adapter does). */
export function engineServer(config: CorsConfig): Promise<TestServer> {
  const policy = createPolicy(config);
  return serve((req, res) => {
    const d = policy.evaluate({
      method: req.method ?? 'GET',
      origin: req.headersDistinct['origin'],
      accessControlRequestMethod: req.headersDistinct['access-control-request-method'],
      accessControlRequestHeaders: req.headersDistinct['access-control-request-headers'],
      host: req.headers.host,
      scheme: 'http',
    });
    for (const [name, value] of Object.entries(d.headers)) res.setHeader(name, value);
    if (d.vary.length > 0) res.setHeader('Vary', d.vary.join(', '));
    if (d.kind === 'preflight') {
      res.statusCode = d.status ?? 403;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Request-Id', 'req-1');
    res.setHeader('Set-Cookie', 'session=abc');
    res.end('{"ok":true}');
  });
}

export interface Captured {
  readonly io: CliIo;
  readonly out: () => string;
  readonly err: () => string;
}

export function capture(
  options: { tty?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (c: string) => (out += c), isTTY: options.tty ?? false },
      stderr: { write: (c: string) => (err += c), isTTY: options.tty ?? false },
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
    },
    out: () => out,
    err: () => err,
  };
}

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/bin.js');

/** Runs the built `corsgate` binary asynchronously (the test's servers live in this process). */
export function runBin(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
