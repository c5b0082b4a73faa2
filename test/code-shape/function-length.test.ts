import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Functions a reader holds in their head: at most 80 lines, so that each one can be read whole;
// this test keeps that promise for every function, method and arrow body in packages/*/src.
const MAX_BODY_LINES = 80;

// Functions allowed past the limit, each up to its cap: none today. A new entry needs a reason.
const KNOWN_LONG: Readonly<Record<string, number>> = {};

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function allSourceFiles(): string[] {
  const packages = join(root, 'packages');
  return readdirSync(packages, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => {
      const src = join(packages, entry.name, 'src');
      try {
        return sourceFiles(src);
      } catch {
        return [];
      }
    })
    .sort();
}

interface LongFunction {
  readonly where: string; // file:line
  readonly name: string;
  readonly lines: number;
}

function functionName(node: ts.FunctionLikeDeclaration): string {
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent)
  ) {
    return parent.name.getText();
  }
  return '(anonymous)';
}

function longFunctions(file: string, text: string, max: number): LongFunction[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const body = node.body as ts.Node;
      const first = source.getLineAndCharacterOfPosition(body.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(body.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        found.push({
          where: `${relative(root, file)}:${start}`,
          name: functionName(node as ts.FunctionLikeDeclaration),
          lines,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('code shape', () => {
  it('reads the TypeScript sources of every package', () => {
    const files = allSourceFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((file) => file.includes(join('packages', 'corsgate', 'src')))).toBe(true);
    expect(files.some((file) => file.includes(join('packages', 'gateway', 'src')))).toBe(true);
  });

  it(`finds a function whose body is longer than ${MAX_BODY_LINES} lines`, () => {
    const body = Array.from({ length: MAX_BODY_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = `export function long(): void {\n${body}\n}\nexport const short = () => {\n  return 1;\n};\n`;
    const found = longFunctions(join(root, 'packages', 'x', 'src', 'long.ts'), text, MAX_BODY_LINES);
    expect(found).toEqual([{ where: 'packages/x/src/long.ts:1', name: 'long', lines: MAX_BODY_LINES + 2 }]);
  });

  it(`keeps every function, method and arrow body in packages/*/src within ${MAX_BODY_LINES} lines`, () => {
    const offenders: string[] = [];
    for (const file of allSourceFiles()) {
      for (const found of longFunctions(file, readFileSync(file, 'utf8'), MAX_BODY_LINES)) {
        const key = `${found.where.replace(/:\d+$/, '')}#${found.name}`;
        const allowed = KNOWN_LONG[key];
        if (allowed !== undefined && found.lines <= allowed) continue;
        offenders.push(`${found.where} ${found.name}: ${found.lines} lines`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
