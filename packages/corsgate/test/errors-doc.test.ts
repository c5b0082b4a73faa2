import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ISSUE_CODES } from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
// The gateway's own codes (CG_GATEWAY_*, the exporter's CG_EXPORT_*, explain --har's CG_HAR_*) are documented on the same page and checked by its tests.
const documented = [...doc.matchAll(/^## (CG_[A-Z0-9_]+)$/gm)]
  .map((m) => m[1])
  .filter((c) => !['CG_GATEWAY_', 'CG_EXPORT_', 'CG_HAR_'].some((prefix) => c!.startsWith(prefix)));

describe('docs/errors.md', () => {
  it('documents every code in the registry', () => {
    const missing = Object.keys(ISSUE_CODES).filter((code) => !documented.includes(code));
    expect(missing).toEqual([]);
  });

  it('documents no code that the registry does not have', () => {
    const unknown = documented.filter((code) => !(code! in ISSUE_CODES));
    expect(unknown).toEqual([]);
  });

  it('states the severity the registry gives each code', () => {
    for (const [code, { severity }] of Object.entries(ISSUE_CODES)) {
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain(`**${severity}**`);
    }
  });
});
