#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the locked dependencies when
// they are missing or older than the lockfile, and rebuilds the TypeScript packages when any
// source file is newer than its build output (tsup, docs/packaging.md). Only node: built-ins, because nothing is
// installed yet when this runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args) {
  console.error(`[ensure] npm ${args.join(' ')}`);
  execFileSync(npm, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The newest modification time of a file, or of any file under a directory (0 if absent). */
function newestMtime(path) {
  let newest = 0;
  if (!existsSync(path)) return newest;
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  const dir = path;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const lock = join(root, 'package-lock.json');
const installedMarker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installedMarker) || statSync(installedMarker).mtimeMs < statSync(lock).mtimeMs) {
  run(['ci', '--no-audit', '--no-fund']);
}

// Every workspace with a `build` script, in the order the root package.json lists them (a package
// is listed after the packages it depends on). A package is rebuilt when its sources, its build
// recipe or its manifest are newer than its newest built file.
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const workspace of manifest.workspaces) {
  const dir = join(root, workspace);
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg) || !JSON.parse(readFileSync(pkg, 'utf8')).scripts?.build) continue;
  const built = newestMtime(join(dir, 'dist'));
  const inputs = [join(dir, 'src'), pkg, join(dir, 'tsup.config.ts'), join(root, 'scripts/tsup-package.mjs')];
  if (built === 0 || inputs.some((input) => newestMtime(input) > built)) {
    run(['run', 'build', '--workspace', workspace]);
  }
}
