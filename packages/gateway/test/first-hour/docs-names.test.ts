/**
 * Issue 28, "Docs that agree with the product": the docs name no `--flag` the `corsgate` command
 * does not have, and no middleware option the library does not have. Flags: every `--flag` in an
 * inline code span and every flag on a line that runs a corsgate command, against the flags the
 * built CLI's `--help` texts list. Options: every key of an options object passed to `cors(…)`,
 * `withCors(…)` or `register(cors, …)` in a ```ts block, and every option the middleware table
 * names, tried on the library, which must not refuse it as an unknown field.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cors } from 'corsgate/express';
import { describe, expect, it } from 'vitest';
import { BIN, tempDir } from '../helpers.js';

const ROOT = resolve(import.meta.dirname, '../../../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);
const COMMANDS = [
  'serve',
  'demo',
  'check',
  'scan',
  'origin',
  'lint',
  'allowlist',
  'suggest',
  'export',
  'explain',
];

/** Flags of other programs the docs show, with whose they are. */
const FOREIGN: Record<string, string> = {
  '--disable-features': 'chromium',
  '--headless': 'chromium',
  '--host-resolver-rules': 'chromium',
  '--ignore-certificate-errors-spki-list': 'chromium',
  '--user-data-dir': 'chromium',
  '--read-only': 'docker run',
  '--no-experimental-require-module': 'node',
  '--automation': 'WebKit MiniBrowser',
  '--allow-env': 'deno',
};

/** One command's `--help` text from the built CLI. */
function helpText(command: string): Promise<string> {
  return new Promise((done, fail) =>
    execFile(process.execPath, [BIN, command, '--help'], { encoding: 'utf8' }, (error, stdout) =>
      error === null ? done(stdout) : fail(error),
    ),
  );
}

/**
 * The flags the built CLI's `--help` texts list, read once per file: two spawns at a time (one per
 * core), since more at once only starve each other's start.
 */
let helpFlags: Promise<Set<string>> | undefined;
function cliFlags(): Promise<Set<string>> {
  helpFlags ??= (async () => {
    const flags = new Set(['--version']);
    const pending = [...COMMANDS];
    const reader = async (): Promise<void> => {
      for (let command = pending.shift(); command !== undefined; command = pending.shift())
        for (const [flag] of (await helpText(command)).matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(flag);
    };
    await Promise.all([reader(), reader()]);
    return flags;
  })();
  return helpFlags;
}

function docFlags(text: string): Set<string> {
  const flags = new Set<string>();
  for (const m of text.matchAll(/`(--[a-z][a-z0-9-]*)[^`]*`/g)) flags.add(m[1]!);
  for (const line of text.split('\n')) {
    const run = /\bcorsgate (?:serve|check|scan|origin|lint|explain|suggest|allowlist|demo)\b(.*)/.exec(line);
    if (run !== null) for (const [flag] of run[1]!.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) flags.add(flag);
  }
  return flags;
}

/** The top-level keys of the object literal that starts at `open` (a `{`): `key:` or shorthand `key,`. */
function objectKeys(text: string, open: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  let previous = '';
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && (previous === '{' || previous === ',') && /[A-Za-z_]/.test(c)) {
      const key = /^([A-Za-z_]\w*)\s*[:,}]/.exec(text.slice(i, i + 80));
      if (key !== null) keys.push(key[1]!);
    }
    if (!/\s/.test(c) && !text.startsWith('//', i)) previous = c;
    // A comment runs to the end of its line and says nothing about keys.
    if (text.startsWith('//', i)) i = text.indexOf('\n', i) - 1;
  }
  return keys;
}

/** The options a page shows; `table`: also its `| Option |` table's first column (docs/middleware.md). */
function docOptions(text: string, table = false): Set<string> {
  const names = new Set<string>();
  for (const [, whole] of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const block = whole!.replace(/\/\/ before[\s\S]*?\/\/ after/g, '');
    // A migration guide shows the code it replaces: the `cors` package's options are not ours.
    if (/from ['"](?:cors|@fastify\/cors|@koa\/cors|hono\/cors)['"]/.test(block)) continue;
    for (const call of block.matchAll(/\b(?:cors|withCors\([^,]*,|register\(cors,)\s*\(?\s*\{/g)) {
      const open = call.index! + call[0].length - 1;
      for (const key of objectKeys(block, open)) names.add(key);
    }
  }
  const rows = table ? /\| Option[^\n]*\n\|[-| ]+\n((?:\|[^\n]*\n)+)/.exec(text) : null;
  if (rows !== null)
    for (const row of rows[1]!.split('\n'))
      for (const [, name] of (row.split('|')[1] ?? '').matchAll(/`([a-z]\w*)`/g)) names.add(name!);
  return names;
}

/** True when the library refuses `name` as an unknown option, with and without an allowlist. */
function unknownToLibrary(name: string, list: string): boolean {
  const refusedAsUnknown = (options: Record<string, unknown>): boolean => {
    try {
      void cors(options as never).close();
      return false;
    } catch (error) {
      const issues = (error as { issues?: { code: string; path: readonly unknown[] }[] }).issues ?? [];
      return issues.some((i) => i.code === 'CG_CONFIG_UNKNOWN_FIELD' && i.path[0] === name);
    }
  };
  return refusedAsUnknown({ [name]: 12345 }) && refusedAsUnknown({ allowlist: list, [name]: 12345 });
}

describe.concurrent('the docs name only what the product has', () => {
  it('every --flag the docs give a corsgate command is one the CLI has', async () => {
    const known = await cliFlags();
    const unknown: string[] = [];
    for (const file of DOCS)
      for (const flag of docFlags(readFileSync(join(ROOT, file), 'utf8')))
        if (!known.has(flag) && FOREIGN[flag] === undefined) unknown.push(`${file}: ${flag}`);
    expect(unknown).toEqual([]);
  });

  it('every middleware option the docs show is one the library accepts', () => {
    const dir = tempDir();
    try {
      const list = dir.file('allowed_origins.list', 'https://app.example.com\n');
      const shown = new Set<string>();
      for (const file of DOCS)
        for (const name of docOptions(readFileSync(join(ROOT, file), 'utf8'), file === 'docs/middleware.md'))
          shown.add(name);
      // The extraction finds the options the docs use most, so a broken parser cannot pass silently.
      for (const name of ['allowlist', 'credentials', 'methods', 'onDenied', 'blockDisallowedUnsafeRequests'])
        expect(shown, name).toContain(name);
      const unknown = [...shown].filter((name) => unknownToLibrary(name, list));
      expect(unknown).toEqual([]);
    } finally {
      dir.remove();
    }
  });

  it('the check itself catches a flag and an option that do not exist', async () => {
    expect(docFlags('run `corsgate serve --allow-list x`')).toContain('--allow-list');
    expect((await cliFlags()).has('--allow-list')).toBe(false);
    expect(docOptions("```ts\napp.use(cors({ allowedHeaders: ['x'] }));\n```\n")).toContain('allowedHeaders');
    expect(unknownToLibrary('allowedHeaders', '/nonexistent.list')).toBe(true);
  });
});
