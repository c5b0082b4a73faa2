#!/usr/bin/env node
// `npm run lint`'s type-check: `tsc -p` for every workspace that has a tsconfig.json, in the order
// the root package.json lists them (a package's types are read from the built dist/ of the
// packages it depends on, so `npm test` builds first). A new package needs no change here.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const workspace of workspaces) {
  if (!existsSync(join(root, workspace, 'tsconfig.json'))) continue;
  execFileSync(process.execPath, [tsc, '-p', join(root, workspace)], { stdio: 'inherit' });
}
