/**
 * `corsgate check` and `corsgate scan` against servers that answer the way a hostile or broken
 * server would, over raw sockets on 127.0.0.1: one that trickles its answer a byte every 100 ms
 * (an idle timer never fires on it; `--timeout` is a deadline for the whole exchange), and one
 * whose header lines carry C1 control characters, which must never reach piped output raw
 * (docs/cli.md: piped output and `--json` never contain escape codes).
 */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/check/check-request.js';
import { runScan } from '../../src/scan/run.js';
import { runBin } from './_helpers.js';

const APP = 'https://app.example';

interface RawServer {
  readonly url: string;
  /** Bytes written to clients so far: proof the trickle went on while the client waited. */
  readonly trickled: number;
  close(): Promise<void>;
}

/** A server that writes `head` at once, then one byte of `drip` every 100 ms, for ever. */
async function trickling(head: string, drip: string): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { trickled: 0 };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write(head);
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        socket.write(drip);
        state.trickled++;
      }, 100);
      timers.add(timer);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    get trickled() {
      return state.trickled;
    },
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A server that answers every request with these exact bytes and closes. */
async function answering(response: Buffer): Promise<RawServer> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(response));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    trickled: 0,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** How long the built binary takes to start and exit on bad input, here and now. */
async function binStartMs(): Promise<number> {
  const started = performance.now();
  await runBin(['check', 'http://127.0.0.1:9/', '--origin', 'not an origin']);
  return performance.now() - started;
}

// The margin past the deadline: the probe's own work and a loaded 2-core machine, never a
// multiple of the deadline. Before the deadline existed, these runs never ended at all.
const MARGIN_MS = 1500;

describe('--timeout is a deadline for the whole exchange, not an idle timer', () => {
  const servers: Record<string, RawServer> = {};
  beforeAll(async () => {
    servers['headers'] = await trickling('HTTP/1.1 200 OK\r\nX-Trickle: ', 'a');
    servers['body'] = await trickling(
      `HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: ${APP}\r\nVary: Origin\r\nContent-Length: 100000\r\n\r\n`,
      'a',
    );
  });
  afterAll(async () => {
    for (const s of Object.values(servers)) await s.close();
  });

  for (const where of ['headers', 'body'] as const) {
    it(`checkRequest gives up on a server that trickles its ${where} a byte every 100 ms at the deadline`, async () => {
      const server = servers[where]!;
      const before = server.trickled;
      const started = performance.now();
      const trace = await checkRequest({ url: server.url, origin: APP, timeoutMs: 1000 });
      const elapsed = performance.now() - started;
      expect(trace.verdict).toBe('error');
      expect(trace.error?.message).toContain('ETIMEDOUT: no complete answer within 1000 ms');
      expect(server.trickled - before).toBeGreaterThanOrEqual(5);
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(1000 + MARGIN_MS);
    });
  }

  it('corsgate check --timeout 1000 against a trickling server exits 2 with the timeout, within the deadline', async () => {
    const start = await binStartMs();
    const started = performance.now();
    const r = await runBin(['check', servers['headers']!.url, '--origin', APP, '--timeout', '1000']);
    const elapsed = performance.now() - started;
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('did not answer: ETIMEDOUT: no complete answer within 1000 ms');
    expect(elapsed).toBeLessThan(start + 1000 + MARGIN_MS);
  });

  it('corsgate scan --timeout 1000 against a trickling server exits 2 with the timeout, within the deadline', async () => {
    const start = await binStartMs();
    const started = performance.now();
    const r = await runBin(['scan', servers['body']!.url, '--timeout', '1000']);
    const elapsed = performance.now() - started;
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toContain('ETIMEDOUT: no complete answer within 1000 ms');
    expect(elapsed).toBeLessThan(start + 1000 + MARGIN_MS);
  });

  it('runScan reports the trickling server unreachable after one deadline', async () => {
    const started = performance.now();
    const report = await runScan({ url: servers['headers']!.url, timeoutMs: 1000 });
    expect(report.error?.code).toBe('unreachable');
    expect(performance.now() - started).toBeLessThan(1000 + MARGIN_MS);
  });
});

// U+009B (CSI) and U+009D (OSC) drive a terminal as ESC [ and ESC ] do; U+0085 is a line break.
// HTTP carries them as the bytes 0x9B, 0x9D, 0x9C (ST) and 0x85 (obs-text), which node reads as
// latin1; node itself refuses a C0 byte in a header value, so only C1 can arrive from a server.
const C1 = Buffer.from([0x9b, 0x33, 0x31, 0x6d, 0x9d, 0x30, 0x3b, 0x70, 0x77, 0x6e, 0x9c, 0x85]);
const RAW_C1 = /[\u0080-\u009f]/;

function responseWith(lines: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from('HTTP/1.1 200 OK\r\n')];
  for (const line of lines) parts.push(Buffer.isBuffer(line) ? line : Buffer.from(line), Buffer.from('\r\n'));
  parts.push(Buffer.from('Content-Length: 0\r\nConnection: close\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('C1 control characters in a server’s headers never reach piped output raw', () => {
  let acao: RawServer;
  let acac: RawServer;
  beforeAll(async () => {
    // check prints a failing Access-Control-Allow-Origin value; scan prints the ACAC it proves.
    acao = await answering(
      responseWith([Buffer.concat([Buffer.from(`Access-Control-Allow-Origin: ${APP}`), C1]), 'Vary: Origin']),
    );
    acac = await answering(
      responseWith([
        'Access-Control-Allow-Origin: *',
        Buffer.concat([Buffer.from('Access-Control-Allow-Credentials: true'), C1]),
      ]),
    );
  });
  afterAll(async () => {
    await acao.close();
    await acac.close();
  });

  it('corsgate check, piped, writes the header value with C1 controls escaped', async () => {
    const r = await runBin(['check', acao.url, '--origin', APP, '--no-probe']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(RAW_C1);
    expect(r.stdout).toContain(`${APP}\\x9b31m\\x9d0;pwn\\x9c\\x85`);
  });

  it('corsgate check --json writes C1 controls as \\u escapes and still parses to the exact value', async () => {
    const r = await runBin(['check', acao.url, '--origin', APP, '--no-probe', '--json']);
    expect(r.stdout).not.toMatch(RAW_C1);
    expect(r.stdout).toContain('\\u009b31m\\u009d0;pwn\\u009c\\u0085');
    const trace = JSON.parse(r.stdout) as { actual: { response: { headers: [string, string][] } } };
    const value = trace.actual.response.headers.find(([n]) => n === 'Access-Control-Allow-Origin')?.[1];
    expect(value).toBe(`${APP}${C1.toString('latin1')}`);
  });

  it('corsgate scan, piped, in text, --json and --sarif, writes C1 controls escaped', async () => {
    for (const format of [[], ['--json'], ['--sarif']]) {
      const r = await runBin(['scan', acac.url, '--origin', APP, '--fail-on', 'low', ...format]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('wildcard-with-credentials');
      expect(r.stdout).not.toMatch(RAW_C1);
      expect(r.stdout).toMatch(/\\x9b31m|\\u009b31m/);
    }
  });
});
