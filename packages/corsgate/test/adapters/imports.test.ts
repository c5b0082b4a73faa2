/**
 * `corsgate` and its adapters must load without any framework installed: frameworks are optional
 * peers and adapters import only their types. The built package is copied where no node_modules
 * can be found, then imported in a fresh Node process.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const SUBPATHS = ['express', 'fastify', 'koa', 'hono', 'node', 'fetch'];
let dir: string;

beforeAll(() => {
  execFileSync(process.execPath, [
    join(packageDir, '../../node_modules/typescript/bin/tsc'),
    '-b',
    packageDir,
  ]);
  dir = mkdtempSync(join(tmpdir(), 'corsgate-imports-'));
  cpSync(join(packageDir, 'dist'), join(dir, 'corsgate', 'dist'), { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(dir, 'corsgate', 'package.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(specifiers: string[]): string {
  const script = `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); console.log(s + ':' + Object.keys(m).sort().join(',')); }`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(dir, 'corsgate'),
    encoding: 'utf8',
  });
}

describe('package entry points', () => {
  it('lists every adapter as a subpath export with its types first', () => {
    for (const name of SUBPATHS) {
      const entry = manifest.exports[`./${name}`];
      expect(Object.keys(entry)).toEqual(['types', 'default']);
      expect(entry.types).toBe(`./dist/adapters/${name}/index.d.ts`);
    }
  });

  it('loads corsgate and every adapter with no framework installed anywhere', () => {
    // A self-reference import resolves through the package's own exports map.
    const out = load(['corsgate', ...SUBPATHS.map((s) => `corsgate/${s}`)]);
    expect(out).toContain('corsgate/express:cors\n');
    expect(out).toContain('corsgate/fetch:withCors\n');
    expect(out).toContain('corsgate/hono:cors\n');
    expect(out.split('\n').filter(Boolean)).toHaveLength(1 + SUBPATHS.length);
  });

  it('keeps the root export to what users need: the engine’s helpers stay in their modules', () => {
    const out = load(['corsgate']);
    expect(out).toBe(
      `corsgate:${[
        'CorsConfigError',
        'DEFAULT_SLICE_BUDGET_MS',
        'ISSUE_CODES',
        'MAX_ACRH_EMPTY_ELEMENTS',
        'MAX_ACRH_LENGTH',
        'MAX_ACRH_NAMES',
        'MAX_ECHO_LENGTH',
        'MAX_MAX_AGE',
        'MAX_ORIGIN_LENGTH',
        'Policy',
        'REASONS',
        'appendVary',
        'createPolicy',
        'createPolicyAsync',
        'formatIssue',
        'formatProblem',
        'parseOriginPattern',
        'parseSerializedOrigin',
        'validateConfig',
      ].join(',')}\n`,
    );
  });

  it('offers the shared request path on corsgate/internal, for the gateway', () => {
    expect(manifest.exports['./internal']).toEqual({
      types: './dist/internal.d.ts',
      default: './dist/internal.js',
    });
    const out = load(['corsgate/internal']);
    for (const name of [
      'requestFacts',
      'nodeFacts',
      'fetchFacts',
      'isBlocked',
      'answerNode',
      'answerResponse',
    ])
      expect(out).toMatch(new RegExp(`[:,]${name}[,\n]`));
  });

  it('keeps corsgate, corsgate/fetch and corsgate/hono free of runtime imports of node: or any package', () => {
    // Workers and Deno load these; only relative imports may remain in the compiled graph.
    for (const entry of [
      'index.js',
      'adapters/fetch/index.js',
      'adapters/hono/index.js',
      'request/fetch.js',
    ]) {
      const seen = new Set<string>();
      const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const code = readFileSync(file, 'utf8');
        for (const [, specifier] of code.matchAll(
          /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g,
        )) {
          expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\//);
          visit(join(file, '..', specifier!));
        }
        for (const [, specifier] of code.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g))
          expect(specifier, `${file} imports ${specifier} lazily`).toMatch(/^\.\.?\//);
      };
      visit(join(dir, 'corsgate', 'dist', entry));
      expect(seen.size).toBeGreaterThan(1);
    }
  });
});
