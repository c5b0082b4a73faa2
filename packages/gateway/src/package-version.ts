/**
 * The version of the installed @corsgate/gateway, read from its package.json. Found by walking up
 * from this module: it runs from src/ (tests), from dist/ as an ES module chunk, or from dist/ as
 * CommonJS, each at a different depth (docs/packaging.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function gatewayVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@corsgate/gateway' && typeof pkg.version === 'string') {
        cached = pkg.version;
        return cached;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('corsgate: the package.json of @corsgate/gateway was not found');
    dir = parent;
  }
}
