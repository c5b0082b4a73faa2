/**
 * The rulebook lives in the repository: every rule id (R1…, §3.1…) that code, tests, benchmarks
 * and docs cite is defined in docs/rules.md, every reload-scenario row cited by the allowlist code
 * and tests is a row of the table in docs/allowlist.md, and nothing cites a file that only exists
 * outside the repository (a shared notes folder, one machine's home directory).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCANNED = [
  'packages/corsgate/src',
  'packages/corsgate/test',
  'packages/gateway/src',
  'packages/gateway/test',
  'test',
  'bench',
  'docs',
];
const EXTENSIONS = /\.(ts|mjs|js|md|sh)$/;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...filesUnder(path));
    else if (EXTENSIONS.test(name)) out.push(path);
  }
  return out;
}

const FILES = [...SCANNED.flatMap(filesUnder), 'README.md'].filter((f) => f !== 'test/rulebook.test.ts');
const text = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** `file:line: the citation` for every match of `pattern` in the scanned files. */
function citations(pattern: RegExp, files: readonly string[] = FILES): { at: string; groups: string[] }[] {
  const out: { at: string; groups: string[] }[] = [];
  for (const file of files) {
    text(file)
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(pattern))
          out.push({ at: `${file}:${i + 1}: ${m[0]}`, groups: m.slice(1) });
      });
  }
  return out;
}

const RULEBOOK = text('docs/rules.md');
const RULE_IDS = new Set([...RULEBOOK.matchAll(/^\*\*(R\d+)\. /gm)].map((m) => m[1]!));
const SECTIONS = new Set([...RULEBOOK.matchAll(/^#{2,3} §(\d+(?:\.\d+)?) /gm)].map((m) => m[1]!));

const ALLOWLIST_DOC = text('docs/allowlist.md');
const SCENARIOS = ALLOWLIST_DOC.slice(ALLOWLIST_DOC.indexOf('### Reload scenarios'));
const ROWS = new Set([...SCENARIOS.matchAll(/^\| (\d+) +\|/gm)].map((m) => m[1]!));

describe('the rulebook (docs/rules.md) defines every rule the repository cites', () => {
  it('defines R1 to R27, each with the Fetch Standard anchor or the source it comes from', () => {
    expect([...RULE_IDS]).toEqual(Array.from({ length: 27 }, (_, i) => `R${i + 1}`));
    for (const id of RULE_IDS) {
      const rule = RULEBOOK.slice(RULEBOOK.indexOf(`**${id}. `)).split('\n\n')[0]!;
      expect(rule, id).toMatch(/\(`#[a-z0-9-]+`|This is browser source/);
    }
  });

  it('defines every rule id (R1…) cited in code, tests, benchmarks and docs', () => {
    const cited = citations(/(?<![A-Za-z0-9_$-])R(\d{1,2})(?![0-9A-Za-z_])/g);
    expect(cited.length).toBeGreaterThan(100);
    const undefinedIds = cited.filter((c) => !RULE_IDS.has(`R${c.groups[0]}`)).map((c) => c.at);
    expect(undefinedIds).toEqual([]);
  });

  it('defines every section (§3.1, §6…) cited, other than an RFC section named with its RFC', () => {
    const cited = citations(/(RFC \d+ )?§ ?(\d+(?:\.\d+)*)/g).filter((c) => c.groups[0] === undefined);
    expect(cited.length).toBeGreaterThan(50);
    expect(cited.filter((c) => !SECTIONS.has(c.groups[1]!)).map((c) => c.at)).toEqual([]);
  });

  it('has every reload-scenario row the allowlist code and tests cite (rows 1 to 26)', () => {
    expect([...ROWS]).toEqual(Array.from({ length: 26 }, (_, i) => String(i + 1)));
    const allowlistFiles = FILES.filter((f) => /(^|\/)allowlist\//.test(f) || f.includes('/adapters/'));
    const cited = citations(/\brow (\d+)\b/g, allowlistFiles);
    expect(cited.length).toBeGreaterThan(25);
    expect(cited.filter((c) => !ROWS.has(c.groups[0]!)).map((c) => c.at)).toEqual([]);
  });
});

describe('nothing in the repository cites a file outside it', () => {
  it('no source, test, benchmark or doc names a notes file or a machine path outside the repository', () => {
    const outside = citations(
      /\.\.\/shared|\/work\/|cors-rules\.md|watcher\.md|peer-benchmark\.md|PRODUCT\.md|ARCHITECTURE\.md|STYLE\.md/g,
    );
    expect(outside.map((c) => c.at)).toEqual([]);
  });

  it('every relative link in the docs and the README leads to a file in the repository', () => {
    const docs = FILES.filter((f) => f.endsWith('.md'));
    const broken: string[] = [];
    for (const c of citations(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g, docs)) {
      const target = c.groups[0]!;
      if (/^[a-z]+:/.test(target)) continue; // a URL
      const file = c.at.slice(0, c.at.indexOf(':'));
      const path = resolve(ROOT, dirname(file), target);
      const inside = !relative(ROOT, path).startsWith('..');
      let exists = false;
      try {
        statSync(path);
        exists = true;
      } catch {}
      if (!inside || !exists) broken.push(c.at);
    }
    expect(broken).toEqual([]);
  });
});
