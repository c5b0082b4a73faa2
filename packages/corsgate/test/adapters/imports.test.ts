/**
 * `corsgate` and its adapters must load without any framework installed, as ES modules and as
 * CommonJS: frameworks are optional peers and adapters import only their types. The built package
 * (`npm test` builds it first) is copied where no node_modules can be found, then loaded in a fresh
 * Node process. test/packaging checks the packed tarball in real projects (docs/packaging.md).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = new URL('../../', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const SUBPATHS = ['express', 'fastify', 'koa', 'hono', 'node', 'fetch'];
let dir: string;

beforeAll(() => {
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

/** `require` in a CommonJS script, with Node's require(esm) turned off so only CommonJS can load. */
function requireAll(specifiers: string[]): string {
  const script = `for (const s of ${JSON.stringify(specifiers)}) { const m = require(s); console.log(s + ':' + Object.keys(m).sort().join(',')); }`;
  return execFileSync(
    process.execPath,
    ['--no-experimental-require-module', '--input-type=commonjs', '-e', script],
    { cwd: join(dir, 'corsgate'), encoding: 'utf8' },
  );
}

describe('package entry points', () => {
  it('lists every adapter as a subpath export with an ES module and a CommonJS build, each with its types first', () => {
    for (const name of SUBPATHS) {
      const entry = manifest.exports[`./${name}`];
      expect(entry).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
      expect(manifest.typesVersions['*'][name]).toEqual([`./dist/${name}.d.cts`]);
    }
  });

  it('requires corsgate and every adapter from CommonJS with no framework installed and no require(esm)', () => {
    const out = requireAll(['corsgate', 'corsgate/allowlist', ...SUBPATHS.map((s) => `corsgate/${s}`)]);
    expect(out).toContain('corsgate/express:cors\n');
    expect(out).toContain('corsgate/fastify:cors\n');
    expect(out).toContain('corsgate/fetch:withCors\n');
    expect(out).toMatch(/^corsgate:.*createPolicy/m);
    expect(out.split('\n').filter(Boolean)).toHaveLength(2 + SUBPATHS.length);
  });

  it('ships the public-suffix data once, loaded by both builds, and never as a type', () => {
    const files = readdirSync(join(dir, 'corsgate', 'dist'));
    const withData = files.filter((f) =>
      readFileSync(join(dir, 'corsgate', 'dist', f), 'utf8').includes('blogspot.com.br'),
    );
    expect(withData).toEqual(['public-suffixes.cjs']);
    // Both builds reach it: a credentialed wildcard over a public suffix is refused in each.
    const config = `{ origins: ['https://*.github.io'], credentials: true }`;
    const esm = `import { createPolicy } from 'corsgate'; try { createPolicy(${config}); } catch (e) { console.log(e.issues[0].code); }`;
    const cjs = `const { createPolicy } = require('corsgate'); try { createPolicy(${config}); } catch (e) { console.log(e.issues[0].code); }`;
    const run = (type: string, script: string) =>
      execFileSync(process.execPath, [`--input-type=${type}`, '-e', script], {
        cwd: join(dir, 'corsgate'),
        encoding: 'utf8',
      }).trim();
    const esmCode = run('module', esm);
    expect(esmCode).toBe('CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD');
    expect(run('commonjs', cjs)).toBe(esmCode);
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
      import: { types: './dist/internal.d.ts', default: './dist/internal.js' },
      require: { types: './dist/internal.d.cts', default: './dist/internal.cjs' },
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
    for (const entry of ['index.js', 'fetch.js', 'hono.js', 'index.cjs', 'fetch.cjs', 'hono.cjs']) {
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
        // CommonJS: a statement-level require loads at once; one inside `import()`'s stand-in
        // (`Promise.resolve().then(() => require(…))`) loads lazily, like `import()`.
        for (const [, specifier] of code.matchAll(
          /(?:^|;|\n)\s*(?:var [\w$]+ = )?require\(\s*['"]([^'"]+)['"]\s*\)/g,
        )) {
          expect(specifier, `${file} requires ${specifier}`).toMatch(/^\.\.?\//);
          visit(join(file, '..', specifier!));
        }
        for (const [, specifier] of code.matchAll(/\.then\(\(\) => [\w$]*\(?require\(\s*['"]([^'"]+)['"]/g))
          expect(specifier, `${file} requires ${specifier} lazily`).toMatch(/^\.\.?\//);
        for (const [, specifier] of code.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g))
          expect(specifier, `${file} imports ${specifier} lazily`).toMatch(/^\.\.?\//);
      };
      visit(join(dir, 'corsgate', 'dist', entry));
      expect(seen.size).toBeGreaterThan(1);
    }
  });
});
