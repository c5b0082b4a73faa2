#!/usr/bin/env node
// `npm run lint` (docs/packaging.md "Checks"): every check, each in a process of its own, as many
// at once as the machine has cores (they are independent and mostly compute): biome, the
// type-check of each workspace, the import circles and the public API reports. Each check's
// output is printed whole once it ends, in the order they are listed; exits 1 when any failed.
// Only node: built-ins.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tsc = join(root, 'node_modules/typescript/bin/tsc');

// The longest first, so the short ones fill the gaps.
const checks = [
  ...workspaces
    .filter((workspace) => existsSync(join(root, workspace, 'tsconfig.json')))
    .map((workspace) => ({ name: `tsc -p ${workspace}`, args: [tsc, '-p', join(root, workspace)] })),
  { name: 'api-report', args: [join(root, 'scripts/api-report.mjs')] },
  { name: 'biome check .', args: [join(root, 'node_modules/@biomejs/biome/bin/biome'), 'check', '.'] },
  { name: 'import-circles', args: [join(root, 'scripts/import-circles.mjs')] },
];

function run(check) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(node, check.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code, signal) =>
      resolve({
        ...check,
        ok: code === 0,
        code: code ?? signal,
        seconds: (Date.now() - started) / 1000,
        output,
      }),
    );
  });
}

const results = new Array(checks.length);
let next = 0;
async function worker() {
  while (next < checks.length) {
    const i = next++;
    results[i] = await run(checks[i]);
  }
}
const slots = Math.max(1, Math.min(checks.length, availableParallelism()));
await Promise.all(Array.from({ length: slots }, worker));

for (const result of results) {
  process.stdout.write(Buffer.concat(result.output));
  console.log(
    `[lint] ${result.ok ? 'ok' : `FAILED (${result.code})`} ${result.name} (${result.seconds.toFixed(1)} s)`,
  );
}
if (results.some((result) => !result.ok)) process.exit(1);
