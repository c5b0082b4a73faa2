/**
 * Issue 28, "Errors that say what to do": what a newcomer typed, run against the built `corsgate`
 * binary. An operator's mistake is exit 2 with one line naming the flag and the fix (docs/cli.md
 * "Exit codes"); a closed pipe ends a command quietly.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, runCorsgate, startUpstream, tempDir, type Upstream, waitFor } from '../helpers.js';

const LIST = resolve(import.meta.dirname, '../../../../examples/allowed_origins.list');

/** Exactly one line on stderr, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

describe('serve: an operator mistake at start is exit 2 and one line naming the flag', () => {
  let held: Server;
  let busyPort: number;
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream();
    held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    busyPort = (held.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => held.close(() => r()));
    await upstream.close();
  });

  it('a busy --port exits 2 naming --port and the way out, without a stack trace', async () => {
    const r = await runCorsgate([
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      LIST,
      '--port',
      String(busyPort),
      '--admin-port',
      '0',
    ]);
    expect(r.code).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toContain(`--port ${busyPort}`);
    expect(line).toContain('already in use');
    expect(line).toContain('--port 0 picks one');
  });

  it('a busy --admin-port exits 2 naming --admin-port, and the traffic listener does not outlive it', async () => {
    const r = await runCorsgate([
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      LIST,
      '--port',
      '0',
      '--admin-port',
      String(busyPort),
    ]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`--admin-port ${busyPort}`);
  });

  it('a missing TLS certificate exits 2 naming --tls-cert and its path', async () => {
    const dir = tempDir();
    try {
      const cert = resolve(dir.dir, 'missing-cert.pem');
      const r = await runCorsgate([
        'serve',
        '--upstream',
        upstream.url,
        '--allowlist',
        LIST,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--tls-cert',
        cert,
        '--tls-key',
        dir.file('key.pem', 'x'),
      ]);
      expect(r.code).toBe(2);
      const line = oneLine(r.stderr);
      expect(line).toContain(`--tls-cert ${cert}`);
      expect(line).toContain('ENOENT');
    } finally {
      dir.remove();
    }
  });

  it('a certificate file that is not PEM exits 2 naming both TLS flags', async () => {
    const dir = tempDir();
    try {
      const junk = dir.file('junk.pem', 'not a certificate\n');
      const r = await runCorsgate([
        'serve',
        '--upstream',
        upstream.url,
        '--allowlist',
        LIST,
        '--port',
        '0',
        '--admin-port',
        '0',
        '--tls-cert',
        junk,
        '--tls-key',
        junk,
      ]);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/--tls-cert .* and --tls-key .*PEM/);
    } finally {
      dir.remove();
    }
  });
});

describe('a mistyped option names the nearest one instead of printing the whole help', () => {
  it('serve --allow-list says: unknown option --allow-list; did you mean --allowlist?', async () => {
    const r = await runCorsgate(['serve', '--allow-list', 'x.list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --allow-list; did you mean --allowlist?');
    expect(r.stderr).not.toContain('Usage:');
  });

  it('check --orign and explain --allow-list get their own command’s nearest option', async () => {
    const check = await runCorsgate(['check', 'http://127.0.0.1:1/', '--orign', 'https://a.example']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('unknown option --orign; did you mean --origin?');
    const explain = await runCorsgate(['explain', '--allow-list', LIST]);
    expect(explain.stderr).toContain('did you mean --allowlist?');
  });

  it('an option far from every known one gets no guess', async () => {
    const r = await runCorsgate(['lint', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --frobnicate\n');
  });
});

/**
 * The reader is gone before the command writes a byte: the test closes its end of the pipe right
 * after spawning, so every write the command makes meets EPIPE (what `| head -1` does, without
 * the race of when head exits).
 */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.destroy();
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    proc.on('exit', (code) => done({ code, stderr }));
  });
}

describe('every command ends quietly when its reader goes away', () => {
  it.each([
    [['demo'], 0],
    [['origin', 'https://App.Example.com:443/page', '--explain'], 0],
    [['lint', LIST], 0],
    [['explain', '--allowlist', LIST, '--origin', 'https://evil.example'], 1],
    [['--help'], 0],
    [['serve', '--help'], 0],
  ] as const)(
    'corsgate %j with its stdout closed: no EPIPE, no stack trace, its own exit code',
    async (args, code) => {
      const r = await runWithClosedStdout([...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(code);
    },
  );
});

describe('scan --sarif against a host that does not resolve', () => {
  const HOST = 'http://no-such-host.invalid/api/items';

  it('on a terminal: one line on stderr, exit 2, and no SARIF printed on the screen', async () => {
    const dir = tempDir();
    try {
      const errFile = resolve(dir.dir, 'stderr.txt');
      // util-linux `script` gives the command a real terminal as stdout, as the newcomer had.
      const screen = await new Promise<string>((done, fail) =>
        execFile(
          'script',
          [
            '-qec',
            `"${process.execPath}" "${BIN}" scan ${HOST} --sarif 2>"${errFile}"; echo "exit=$?"`,
            '/dev/null',
          ],
          { timeout: 20_000 },
          (error, stdout) => (error === null ? done(stdout) : fail(error)),
        ),
      );
      expect(screen.replace(/\r/g, '').trim()).toBe('exit=2');
      const stderr = readFileSync(errFile, 'utf8');
      expect(oneLine(stderr)).toMatch(/^corsgate scan: no-such-host\.invalid did not answer: ENOTFOUND/);
    } finally {
      dir.remove();
    }
  });

  it('redirected to a file: the SARIF log records the failed run, and stderr still says why', async () => {
    const r = await runCorsgate(['scan', HOST, '--sarif']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('did not answer: ENOTFOUND');
    const log = JSON.parse(r.stdout) as { runs: { invocations: { executionSuccessful: boolean }[] }[] };
    expect(log.runs[0]!.invocations[0]!.executionSuccessful).toBe(false);
  });

  it('without --sarif: the same one line on stderr and nothing on stdout', async () => {
    const r = await runCorsgate(['scan', HOST]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('did not answer: ENOTFOUND');
    expect(r.stdout).toBe('');
  });
});

it('serve keeps serving when its log reader goes away, says nothing on stderr, and stops cleanly', async () => {
  const upstream = await startUpstream();
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--upstream',
      upstream.url,
      '--allowlist',
      LIST,
      '--port',
      String(port),
      '--admin-port',
      '0',
      '--access-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout.destroy();
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  try {
    let status = 0;
    await waitFor(
      async () => {
        status = await fetch(`http://127.0.0.1:${port}/echo`).then(
          (r) => r.status,
          () => 0,
        );
        return status !== 0;
      },
      15_000,
      'the gateway to answer',
    );
    // Each answered request writes an access-log line into the closed pipe.
    for (let i = 0; i < 3; i++) expect((await fetch(`http://127.0.0.1:${port}/echo`)).status).toBe(200);
    expect(stderr).toBe('');
  } finally {
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await upstream.close();
  }
});
