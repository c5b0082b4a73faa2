/**
 * Black-box helpers: spawn the real built `corsgate` binary, run a real upstream server on
 * loopback, and speak raw HTTP/1.1 where header lines matter.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export const BIN = resolve(import.meta.dirname, '../dist/cli/bin.js');

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
}

export interface Upstream {
  port: number;
  url: string;
  received: Received[];
  /** Requests whose client (the gateway) closed the connection before the response ended. */
  cancelled: string[];
  bytesReceived: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A real upstream API. Paths:
 *  /echo          JSON of what arrived
 *  /cors          sets its own Access-Control-* headers and Vary
 *  /vary-star     Vary: *
 *  /hang          never answers (for timeouts and aborts)
 *  /slow?ms=N     answers after N ms
 *  /upload        counts the body's bytes as they stream
 *  /download?mb=N streams N MiB
 *  /hop           sends hop-by-hop headers of its own
 *  /repeated      sends two Set-Cookie lines and two Vary lines
 */
export async function startUpstream(): Promise<Upstream> {
  const received: Received[] = [];
  const cancelled: string[] = [];
  const bytesReceived = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://u');
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    res.on('close', () => {
      if (!res.writableFinished) cancelled.push(url.pathname);
    });
    const json = (status: number, body: unknown, extra: Record<string, string | string[]> = {}): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
        ...extra,
      });
      res.end(text);
    };
    switch (url.pathname) {
      case '/upload': {
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
        });
        req.on('end', () => {
          bytesReceived.set('/upload', n);
          json(200, { bytes: n });
        });
        return;
      }
      case '/download': {
        const total = Number(url.searchParams.get('mb') ?? '1') * 1024 * 1024;
        const chunk = Buffer.alloc(64 * 1024, 97);
        let sent = 0;
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': total });
        const pump = (): void => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      case '/hang':
        req.resume();
        return;
      case '/slow':
        req.resume();
        setTimeout(() => json(200, { slow: true }), Number(url.searchParams.get('ms') ?? '100'));
        return;
      case '/cors':
        req.resume();
        json(
          200,
          { cors: 'upstream' },
          {
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Allow-Credentials': 'true',
            'Access-Control-Expose-Headers': 'X-Secret',
            'Access-Control-Max-Age': '99999',
            Vary: 'Accept-Encoding, origin',
          },
        );
        return;
      case '/vary-star':
        req.resume();
        json(200, {}, { Vary: '*' });
        return;
      case '/hop':
        req.resume();
        json(
          200,
          {},
          {
            'X-Private': 'secret',
            Connection: 'X-Private',
            'Keep-Alive': 'timeout=5',
            'Proxy-Authenticate': 'Basic',
          },
        );
        return;
      case '/repeated':
        req.resume();
        json(200, {}, { 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'], Vary: ['Accept', 'Accept-Language'] });
        return;
      default: {
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
        });
        req.on('end', () =>
          json(200, { method: req.method, url: req.url, headers: req.headers, bodyBytes: n }),
        );
      }
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    cancelled,
    bytesReceived,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * `n` distinct free ports, all held open at once while they are picked, so that gateways started
 * concurrently never get the same admin port.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createNetServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export interface Gateway {
  proc: ChildProcess;
  pid: number;
  port: number;
  url: string;
  adminUrl: string;
  /** Every stdout line parsed as JSON (pino). */
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface TempDir {
  dir: string;
  file(name: string, text: string): string;
  /** Writes atomically: a temp file in the same directory, then rename. */
  atomic(name: string, text: string): void;
  remove(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-gw-'));
  let n = 0;
  return {
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    atomic(name, text) {
      const tmp = join(dir, `.${name}.${process.pid}.${n++}.tmp`);
      writeFileSync(tmp, text);
      renameSync(tmp, join(dir, name));
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `corsgate serve` with the given arguments and waits until it listens. */
export async function startGateway(
  args: string[],
  options: { cwd?: string; admin?: boolean; adminPort?: number; env?: Record<string, string> } = {},
): Promise<Gateway> {
  const adminPort = options.admin === false ? 0 : (options.adminPort ?? (await freePort()));
  const proc = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--admin-port', String(adminPort), ...args],
    {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let buffer = '';
  const ready = new Promise<{ url: string; admin: string | null }>((resolveReady, rejectReady) => {
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (
            entry['event'] === 'listening' &&
            (entry['workers'] !== undefined || entry['admin'] !== undefined)
          )
            resolveReady({ url: entry['url'] as string, admin: (entry['admin'] as string | null) ?? null });
        } catch {
          /* not JSON */
        }
        nl = buffer.indexOf('\n');
      }
    });
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    void exited.then((code) => rejectReady(new Error(`corsgate exited with ${code}: ${stderr.join('')}`)));
    // Waits for the listening line; the limit only ends a gateway that never starts (a machine
    // shared by several runs has taken over 15 s to boot one).
    setTimeout(() => rejectReady(new Error(`corsgate did not start: ${stderr.join('')}`)), 60_000).unref();
  });
  let started: { url: string; admin: string | null };
  try {
    started = await ready;
  } catch (error) {
    // Never leave a half-started gateway behind a failed test.
    proc.kill('SIGKILL');
    throw error;
  }
  const { url, admin } = started;
  return {
    proc,
    pid: proc.pid!,
    port: Number(new URL(url).port),
    url,
    adminUrl: admin ?? '',
    logs,
    stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `corsgate` to completion; for commands that exit. */
export function runCorsgate(
  args: string[],
  cwd = process.cwd(),
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

export interface RawResponse {
  status: number;
  /** Header lines in order, names lower-cased. */
  lines: [string, string][];
  body: string;
  header(name: string): string | undefined;
  all(name: string): string[];
}

/** Sends exact bytes over a fresh TCP connection and reads one response (the request must say Connection: close). */
export function raw(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolveRaw, rejectRaw) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', rejectRaw);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = text.slice(0, end).split('\r\n');
      const status = Number(head[0]?.split(' ')[1]);
      const lines = head.slice(1).map((l): [string, string] => {
        const c = l.indexOf(':');
        return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
      });
      const all = (name: string): string[] =>
        lines.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
      resolveRaw({ status, lines, body: text.slice(end + 4), all, header: (name) => all(name)[0] });
    });
    socket.write(request.replace(/\n/g, '\r\n').replace(/\r\r/g, '\r'));
  });
}

/** Reads VmRSS of a process in KiB (Linux). */
export async function rssKiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? 0 : Number(m[1]);
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What `gatewayForDescribe` starts: set before the describe's first test, stopped after its last. */
export interface GatewayFixture {
  upstream: Upstream;
  gateway: Gateway;
}

/**
 * A gateway in front of a recording upstream, with an allowlist holding `origins`: started in the
 * calling describe's `beforeAll` with `args` after `--upstream` and `--allowlist`, stopped with the
 * upstream and the temporary directory in its `afterAll`. Read the fields inside tests only.
 */
export function gatewayForDescribe(
  args: string[] = [],
  options: Parameters<typeof startGateway>[1] = {},
  origins: readonly string[] = ['https://app.example.com'],
): GatewayFixture {
  const fixture = {} as GatewayFixture;
  let tmp: TempDir | undefined;
  beforeAll(async () => {
    fixture.upstream = await startUpstream();
    tmp = tempDir();
    const list = tmp.file('allowed_origins.list', `${origins.join('\n')}\n`);
    fixture.gateway = await startGateway(
      ['--upstream', fixture.upstream.url, '--allowlist', list, ...args],
      options,
    );
  });
  afterAll(async () => {
    await fixture.gateway?.stop();
    await fixture.upstream?.close();
    tmp?.remove();
  });
  return fixture;
}

/** Resolves once `port` on loopback accepts a connection; fails if `proc` exits first (10 s). */
export async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited ${proc.exitCode} before listening`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listened on port ${port} within 10 s`);
}
