#!/usr/bin/env node
// `npm run lint`'s import-circle check (docs/packaging.md "Checks"): among the TypeScript
// sources of every packages/*/src, no module may import, directly or through others, a module that
// imports it. Type-only imports count too: a type two modules share lives below both. Imports are
// read by TypeScript's own pre-processor (static and dynamic `import`, `export … from`), so what
// the compiler follows is what is checked. Prints each circle with its edges; exits 1 when there
// is one. Usage: node scripts/import-circles.mjs [ROOT]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

/** Every .ts/.mts/.cts source (not .d.ts) under each packages/NAME/src. */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[mc]?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  const packages = join(root, 'packages');
  for (const name of existsSync(packages) ? readdirSync(packages) : []) {
    const src = join(packages, name, 'src');
    if (existsSync(src)) walk(src);
  }
  return files;
}

/** The module a relative specifier names (`./x.js` is written for `./x.ts`), or null. */
function resolveImport(from, specifier, known) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const base = resolve(dirname(from), specifier.replace(/\.[mc]?js$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.mts`, `${base}.cts`, join(base, 'index.ts')])
    if (known.has(candidate)) return candidate;
  return null;
}

/** file → the files it imports. */
function importGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const { fileName } of importedFiles) {
      const target = resolveImport(file, fileName, known);
      if (target !== null && target !== file) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one module: the circles. */
export function circlesOf(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const circles = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

const files = sourceFiles();
const graph = importGraph(files);
const circles = circlesOf(graph);
const rel = (file) => relative(root, file);
for (const circle of circles) {
  console.log(`circle of ${circle.length}: ${circle.map(rel).join(', ')}`);
  for (const from of circle)
    for (const to of graph.get(from)) if (circle.includes(to)) console.log(`  ${rel(from)} -> ${rel(to)}`);
}
if (circles.length > 0) {
  console.log(
    `${circles.length} import circle(s) among ${files.length} source files: move what both sides need into a module below them`,
  );
  process.exit(1);
}
console.log(`no import circle among ${files.length} source files`);
