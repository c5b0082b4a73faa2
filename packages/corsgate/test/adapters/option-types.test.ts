/**
 * The middleware options' forms do not mix at the type level: test/types/options.ts holds the
 * accepted forms and, under `@ts-expect-error`, the mixes that fail at run time (`{ policy,
 * credentials: true }`…). tsc fails on an expected error that does not occur, so this test fails
 * when a mix type-checks again.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const packageDir = new URL('../../', import.meta.url).pathname;

it('rejects at compile time every mix of option forms that fails at run time', () => {
  const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc');
  const run = (): string =>
    execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'test/types')], { encoding: 'utf8' });
  expect(run).not.toThrow();
});
