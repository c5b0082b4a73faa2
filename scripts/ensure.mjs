#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the locked dependencies when
// they are missing or older than the lockfile, and rebuilds the TypeScript packages when any
// source file is newer than its build output. Only node: built-ins, because nothing is
// installed yet when this runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(args) {
  console.error(`[ensure] npm ${args.join(' ')}`);
  execFileSync(npm, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
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

const packages = ['packages/corsgate', 'packages/redis', 'packages/gateway'].filter((p) =>
  existsSync(join(root, p)),
);
const stale = packages.some((p) => {
  const built = newestMtime(join(root, p, 'dist'));
  return built === 0 || newestMtime(join(root, p, 'src')) > built;
});
if (stale) run(['run', 'build']);
