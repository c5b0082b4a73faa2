/**
 * Issue 28, "Commands that run as written": every `npx corsgate …` and `npx @corsgate/gateway …`
 * line of the README's shell blocks, run as printed in a clone-like copy of the repository while
 * `npm start`'s demo runs, piped into `head` as a newcomer would. The one change: the demo runs on
 * free ports here (the machine is shared), so 8080, 9901, 3000 and the serve line's 8081/9902 are
 * replaced by the ports it printed; nothing else in a command is touched.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** The README's commands: each line of a ```sh block that runs the corsgate command. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l.startsWith('npx corsgate ') || l.startsWith('npx @corsgate/gateway '));
}

/** A fresh clone as far as these commands can tell: the tracked files they read, installed dependencies linked. */
function cloneLike(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-clone-'));
  for (const path of ['README.md', 'package.json', 'examples', 'scripts'])
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  // What `npm start` installed and built: the workspace links resolve to this repository's packages.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, 'packages'), join(dir, 'packages'));
  return dir;
}

function sh(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile('bash', ['-o', 'pipefail', '-c', command], { cwd, timeout: 60_000 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    ),
  );
}

describe('the README commands, run as printed after npm start', () => {
  const commands = readmeCommands();
  let clone: string;
  let demo: ChildProcess;
  let banner = '';
  const ports = new Map<string, string>();
  const replace = (command: string) => {
    let out = command;
    for (const [from, to] of ports) out = out.replaceAll(from, to);
    return out;
  };

  beforeAll(async () => {
    clone = cloneLike();
    demo = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: clone,
      env: { ...process.env, PORT: '0', ADMIN_PORT: '0', UPSTREAM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.setEncoding('utf8').on('data', (c: string) => (banner += c));
    await waitFor(() => banner.includes('Ctrl-C stops both.'), 30_000, 'the npm start banner');
    const gateway =
      /gateway\s+http:\/\/(127\.0\.0\.1:\d+)\s+\(in front of the demo API at http:\/\/(127\.0\.0\.1:\d+)\)/.exec(
        banner,
      )!;
    const admin = /admin\s+http:\/\/(127\.0\.0\.1:\d+)/.exec(banner)!;
    ports.set('127.0.0.1:8080', gateway[1]!);
    ports.set('127.0.0.1:3000', gateway[2]!);
    ports.set('127.0.0.1:9901', admin[1]!);
    ports.set('--port 8081', `--port ${await freePort()}`);
    ports.set('--admin-port 9902', `--admin-port ${await freePort()}`);
  }, 60_000);

  afterAll(async () => {
    if (demo.exitCode === null) {
      const exited = new Promise((r) => demo.on('exit', r));
      demo.kill('SIGTERM');
      await exited;
    }
    rmSync(clone, { recursive: true, force: true });
  });

  it('npm start prints the console URL and a token made for the demo, which signs in', async () => {
    const consoleUrl = /console\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(banner)?.[1];
    const token = /token\s+([0-9a-f]{32})\s/.exec(banner)?.[1];
    expect(consoleUrl).toBeDefined();
    expect(token).toBeDefined();
    // The token is the admin listener's: a write with it is accepted, without it refused.
    const candidate = `${consoleUrl}candidate`;
    const without = await fetch(candidate, { method: 'PUT', body: 'https://app.example.com\n' });
    expect(without.status).toBe(401);
    const withToken = await fetch(candidate, {
      method: 'PUT',
      body: 'https://app.example.com\n',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(withToken.status).toBeLessThan(300);
  });

  it('the README shows every tool and the serve line, and names no host the demo is not', () => {
    for (const tool of ['check', 'scan', 'origin', 'lint', 'explain', 'suggest', 'serve'])
      expect(
        commands.some((c) => c.split(' ').includes(tool)),
        tool,
      ).toBe(true);
    expect(commands.join('\n')).not.toMatch(/api\.example\.com|(?<![\w/])allowed_origins\.list/);
  });

  it.each(readmeCommands().filter((c) => !c.includes(' serve ') && !c.includes('redis://')))(
    '%s',
    async (command) => {
      // A redirect is the command's own output file; everything else is piped into head.
      const line = command.includes(' > ') ? replace(command) : `${replace(command)} | head -n 20`;
      const r = await sh(line, clone);
      expect(r.stderr).not.toMatch(/ENOTFOUND|CG_ALLOWLIST_MISSING|EPIPE|\n\s+at /);
      expect(r.code, `${line}\n${r.stdout}\n${r.stderr}`).toBe(0);
      if (command.includes(' > proposed.list'))
        expect(readFileSync(join(clone, 'proposed.list'), 'utf8')).toContain('https://app.example.com');
      // A clean list lints silently (docs/cli.md "lint"); every other tool answers on stdout.
      else if (!command.includes(' lint ')) expect(r.stdout.length).toBeGreaterThan(0);
    },
    60_000,
  );

  it('the serve line starts a gateway in front of the demo API that lets a JSON PUT through', async () => {
    const command = replace(commands.find((c) => c.includes(' serve '))!);
    const port = /--port (\d+)/.exec(command)![1]!;
    // Its own process group, so the gateway npx starts is stopped with it.
    const serve = spawn('bash', ['-c', `exec ${command}`], {
      cwd: clone,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    serve.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    serve.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise((r) => serve.on('exit', r));
    try {
      await waitFor(() => out.includes('"event":"listening"') || serve.exitCode !== null, 30_000, 'serve');
      expect(err).toBe('');
      const r = await fetch(`http://127.0.0.1:${port}/api/items`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-headers')).toBe('content-type');
      const items = await fetch(`http://127.0.0.1:${port}/api/items`, {
        headers: { Origin: 'https://app.example.com' },
      });
      expect(items.status).toBe(200);
    } finally {
      process.kill(-serve.pid!, 'SIGTERM');
      await exited;
    }
  }, 60_000);

  it('leaves the example list as it was (lint --fix finds nothing to rewrite)', () => {
    expect(readFileSync(join(clone, 'examples/allowed_origins.list'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'examples/allowed_origins.list'), 'utf8'),
    );
    expect(existsSync(join(clone, 'proposed.list'))).toBe(true);
  });
});
