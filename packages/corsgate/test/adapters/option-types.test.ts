/**
 * The middleware options' forms do not mix at the type level: test/types/options.ts holds the
 * accepted forms and, under `@ts-expect-error`, the mixes that fail at run time (`{ policy,
 * credentials: true }`…). tsc fails on an expected error that does not occur, so this test fails
 * when a mix type-checks again.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const packageDir = new URL('../../', import.meta.url).pathname;

it('rejects at compile time every mix of option forms that fails at run time', () => {
  const tsc = join(packageDir, '../../node_modules/typescript/bin/tsc');
  let errors = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'test/types')], { encoding: 'utf8' });
  } catch (error) {
    // tsc prints its errors on stdout and exits non-zero.
    errors = (error as { stdout?: string }).stdout || String(error);
  }
  expect(errors).toBe('');
}, 120_000);

it('gives the configuration without origins one name, CorsConfigWithoutOrigins, in every package', () => {
  const packages = join(packageDir, '..');
  const offenders: string[] = [];
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    let files: string[];
    try {
      files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(join(src, file), 'utf8');
      const copies = text.match(/Omit<CorsConfig, 'origins'>/g)?.length ?? 0;
      const isDefinition = pkg === 'corsgate' && file === join('engine', 'policy.ts');
      if (copies > (isDefinition ? 1 : 0))
        offenders.push(`${pkg}/src/${file}: an inline Omit<CorsConfig, 'origins'>`);
      if (/\bPolicyOptions\b/.test(text)) offenders.push(`${pkg}/src/${file}: another name, PolicyOptions`);
    }
  }
  expect(offenders).toEqual([]);
});
