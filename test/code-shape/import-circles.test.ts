import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/import-circles.mjs, which `npm run lint` runs (docs/packaging.md "Checks"): no module of
// packages/*/src imports, directly or through others, one that imports it back.
const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'import-circles.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'corsgate-circles-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, 'p-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('the import-circle check', () => {
  it('finds no circle in this repository', () => {
    expect(execFileSync(process.execPath, [script, root], { encoding: 'utf8' })).toMatch(/^no import circle/);
  });

  it('fails on a circle made of a type-only import and a dynamic import, and names its edges', () => {
    const dir = project({
      'packages/x/src/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'packages/x/src/b.ts': "export type B = string;\nexport const load = () => import('./c/index.js');\n",
      'packages/x/src/c/index.ts': "export { type A } from '../a.js';\n",
      'packages/x/src/d.ts': "import type { A } from './a.js';\nexport type D = A;\n",
    });
    const run = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      'circle of 3: packages/x/src/a.ts, packages/x/src/b.ts, packages/x/src/c/index.ts',
    );
    expect(run.stdout).toContain('packages/x/src/c/index.ts -> packages/x/src/a.ts');
    expect(run.stdout).not.toContain('d.ts');
  });
});
