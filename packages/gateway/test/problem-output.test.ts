/**
 * Every problem is printed one way (`FILE:LINE:COL: severity CODE message (suggestion)`), and
 * what the file says can neither drive the terminal (control characters, bidi overrides) nor leak
 * whole through the gateway's logs and admin API (a secret file behind an allowlist symlink):
 * tried through the built binary and a spawned gateway.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_ECHO_LENGTH } from 'corsgate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCorsgate,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

let tmp: TempDir;
let upstream: Upstream;
beforeAll(async () => {
  tmp = tempDir();
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.close();
  tmp?.remove();
});

/** What a terminal obeys: C0 controls but the line feed, DEL, C1, and the bidi formatting characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for exactly these
const OBEYED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const HOSTILE = [
  'https://ok.example.com',
  // Sets the window title, rings the bell, clears the screen.
  'https://x.example.com/\x1b]0;pwned\x07\x1b[2J',
  // A carriage return that would overprint the line with a harmless-looking one.
  'https://c.example.com\rhttps://a.example',
  // A right-to-left override that makes the line read as an origin.
  '\u202emoc.elpmaxe.live//:sptth',
].join('\n');

describe('one problem format, escaped, through the corsgate binary', () => {
  it('lint prints FILE:LINE:COL: severity CODE message, with every control and bidi character escaped', async () => {
    const file = tmp.file('hostile.list', `${HOSTILE}\n`);
    const r = await runCorsgate(['lint', file]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^\S+:\d+:\d+: error CG_[A-Z_]+ /);
    expect(r.stdout).not.toMatch(OBEYED);
    expect(lines[0]).toContain(`${file}:2:22: error CG_ORIGIN_HAS_PATH`);
    expect(lines[0]).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(lines[1]).toContain(
      `${file}:3:1: error CG_ORIGIN_UNSUPPORTED_PATTERN "https://c.example.com\\rhttps://a.example"`,
    );
    expect(lines[2]).toContain(
      `${file}:4:1: error CG_ORIGIN_MISSING_SCHEME "\\u202emoc.elpmaxe.live//:sptth"`,
    );
  });

  it('lint --json writes the bidi override as \\u202e and the ESC as \\u001b, never raw', async () => {
    const file = tmp.file('hostile-json.list', `${HOSTILE}\n`);
    const r = await runCorsgate(['lint', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(OBEYED);
    const json = JSON.parse(r.stdout) as { errors: { text: string }[] };
    expect(json.errors.map((e) => e.text)).toEqual([
      'https://x.example.com/\x1b]0;pwned\x07\x1b[2J',
      'https://c.example.com\rhttps://a.example',
      '\u202emoc.elpmaxe.live//:sptth',
    ]);
  });

  it('serve refuses the file and prints the same escaped lines on stderr', async () => {
    const file = tmp.file('hostile-serve.list', `${HOSTILE}\n`);
    const r = await runCorsgate(['serve', '--upstream', 'http://127.0.0.1:1', '--allowlist', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(OBEYED);
    expect(r.stderr).toContain(
      `${file}:2:22: error CG_ORIGIN_HAS_PATH "https://x.example.com/\\x1b]0;pwned\\x07\\x1b[2J"`,
    );
    expect(r.stderr).toContain(
      // A line that does not look like an entry is echoed as its first SHORT_ECHO_LENGTH characters
      // by a source (docs/allowlist.md "What a rejected version shows"); `lint` shows it whole.
      `${file}:4:1: error CG_ORIGIN_MISSING_SCHEME "\\u202emoc.elpmaxe…"`,
    );
    expect(r.stderr).toContain('not started');
  });
});

/** What a source echoes of a line that does not look like an entry (allowlist/echo.ts). */
const SHORT_ECHO_LENGTH = 12;

/** A private key and a password hash: lines that must never be repeated whole. */
function secretLines(): string[] {
  const key = randomBytes(48 * 6).toString('base64');
  const lines = ['-----BEGIN PRIVATE KEY-----'];
  for (let i = 0; i < key.length; i += 64) lines.push(key.slice(i, i + 64));
  lines.push('-----END PRIVATE KEY-----');
  lines.push(
    `root:$6$${randomBytes(12).toString('base64')}$${randomBytes(64).toString('base64')}:19000:0:99999:7:::`,
  );
  return lines;
}

/** Every window of MAX_ECHO_LENGTH characters of a secret line that appears in `text`. */
function leaks(text: string, lines: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of lines)
    for (let i = 0; i + MAX_ECHO_LENGTH <= line.length; i++) {
      const window = line.slice(i, i + MAX_ECHO_LENGTH);
      if (text.includes(window)) found.push(window);
    }
  return found;
}

describe('an allowlist that is a symlink to a secret file echoes at most an excerpt of each line', () => {
  it('serve refuses it at start and prints only excerpts of the lines', async () => {
    const secret = secretLines();
    const secretFile = tmp.file('id_rsa', `${secret.join('\n')}\n`);
    const link = join(tmp.dir, 'start.list');
    symlinkSync(secretFile, link);
    const r = await runCorsgate(['serve', '--upstream', 'http://127.0.0.1:1', '--allowlist', link]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${link}:2:1: error`);
    // An excerpt, enough to find the line: its first characters are there.
    expect(r.stderr).toContain(`"${secret[1]!.slice(0, SHORT_ECHO_LENGTH)}…"`);
    expect(leaks(r.stderr, secret)).toEqual([]);
  });

  it('a running gateway rejects the re-pointed link; /allowlist and the logs show only excerpts', async () => {
    const secret = secretLines();
    const secretFile = tmp.file('shadow', `${secret.join('\n')}\n`);
    const good = tmp.file('good.list', 'https://app.example.com\n');
    const link = join(tmp.dir, 'live.list');
    symlinkSync(good, link);
    const gateway = await startGateway(['--upstream', upstream.url, '--allowlist', link]);
    try {
      // Re-point the link atomically, as `ln -sfn` does.
      symlinkSync(secretFile, `${link}.tmp`);
      renameSync(`${link}.tmp`, link);
      const admin = async () => (await fetch(`${gateway.adminUrl}/allowlist`)).text();
      await waitFor(async () => JSON.parse(await admin()).lastError !== null, 10_000);
      const body = await admin();
      const view = JSON.parse(body) as {
        lastError: { issues: { line: number; text: string; message: string }[] };
      };
      expect(view.lastError.issues.length).toBeGreaterThan(3);
      const second = view.lastError.issues.find((i) => i.line === 2)!;
      expect(second.text).toBe(`${secret[1]!.slice(0, SHORT_ECHO_LENGTH)}…`);
      expect(second.message).toMatch(
        new RegExp(`^${link.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:1: error CG_`),
      );
      expect(leaks(body, secret)).toEqual([]);
      await waitFor(() => gateway.logs.some((l) => l['event'] === 'allowlist-rejected'), 5_000);
      expect(leaks(JSON.stringify(gateway.logs) + gateway.stderr.join(''), secret)).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });
});
