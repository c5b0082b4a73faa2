/**
 * `corsgate explain --message` as a command (the built binary for stdin with `-`): `--json`, the flags that add what a
 * message does not say, bad input. The messages are WebKit's wording from its source (the cited
 * fixture); test/browser/explain-console.test.ts proves every engine's captured messages.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BIN } from '../helpers.js';
import { capture } from './_helpers.js';

/** `corsgate …` in this process (the command's own code, without a process start per case). */
async function runCorsgate(args: string[]) {
  const c = capture();
  const code = await main(args, c.io);
  return { code, stdout: c.out(), stderr: c.err() };
}

/** `corsgate …` with `input` on standard input. */
function withStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.on('exit', (code) => resolve({ code, stdout }));
    proc.stdin.end(input);
  });
}

const fixture = readFileSync(
  join(import.meta.dirname, '../../../../test/browser/fixtures/webkit-console.txt'),
  'utf8',
);
const wording = new Map(
  fixture
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t') as [string, string]),
);
const webkit = (id: string, values: Record<string, string>) =>
  wording
    .get(id)!
    .replaceAll('\\n', '\n')
    .replace(/\$\{(\w+)\}/g, (_m, k: string) => values[k] ?? `\${${k}}`);

const URL_ = 'http://api.test:8080/items';
const ORIGIN = 'http://app.test:3000';

describe('corsgate explain --message', () => {
  it('names the engine, the class, the answer needed and both fixes, asking for nothing the message says', async () => {
    const r = await runCorsgate([
      'explain',
      '--message',
      webkit('method-not-allowed', { method: 'PUT', url: URL_ }),
      '--origin',
      ORIGIN,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('engine: WebKit (Safari)');
    expect(r.stdout).toContain('class: method-not-allowed');
    expect(r.stdout).toContain('Access-Control-Allow-Methods: PUT');
    expect(r.stdout).toContain('fix (corsgate): restart the gateway with --methods PUT');
    expect(r.stdout).not.toContain('needs:');
  });

  it('says what it needs, with the flag, when the message does not name it', async () => {
    const r = await runCorsgate([
      'explain',
      '--message',
      webkit('header-not-allowed', { header: 'X-Token', url: URL_ }),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fix (corsgate): restart the gateway with --request-headers x-token');
    expect(r.stdout).toContain('needs: --origin ORIGIN');
    expect(r.stdout).toContain('or a HAR export of the page');
  });

  it('reads the message from standard input with -, and prints JSON with --json', async () => {
    const text = webkit('acao-missing', { origin: ORIGIN, status: '200', url: URL_ });
    const r = await withStdin(['explain', '--message', '-', '--json'], text);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({
      engine: 'webkit',
      classId: 'acao-missing',
      alsoPossible: ['acao-mismatch'],
      facts: { origin: ORIGIN, status: 200, url: URL_ },
      fix: { allowlistLine: ORIGIN },
      needs: [],
    });
  });

  it('exits 1 for text that names no CORS failure, and 2 for bad input', async () => {
    const unknown = await runCorsgate(['explain', '--message', 'TypeError: Load failed']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('class: none');
    const empty = await runCorsgate(['explain', '--message', '  ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--message is empty');
    const badOrigin = await runCorsgate(['explain', '--message', 'x', '--origin', 'http://app.test/']);
    expect(badOrigin.code).toBe(2);
    expect(badOrigin.stderr).toContain('corsgate origin http://app.test/');
  });

  it('prints its own help, and keeps the policy mode: --allowlist and --origin still ask the engine', async () => {
    const help = await runCorsgate(['explain', '--message', 'x', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: corsgate explain --message TEXT');
    const dir = mkdtempSync(join(tmpdir(), 'corsgate-explain-'));
    writeFileSync(join(dir, 'origins.list'), `${ORIGIN}\n`);
    const policy = await runCorsgate([
      'explain',
      '--allowlist',
      join(dir, 'origins.list'),
      '--origin',
      ORIGIN,
    ]);
    expect(policy.code).toBe(0);
    expect(policy.stdout).toContain('allowed: yes');
  });
});
