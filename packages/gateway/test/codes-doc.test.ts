import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_CODES } from '../src/config/codes.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^## (CG_GATEWAY_[A-Z0-9_]+)$/gm)].map((m) => m[1]!);

describe('docs/errors.md and the gateway code registry', () => {
  it('documents every gateway code, with its severity', () => {
    for (const [code, { severity }] of Object.entries(GATEWAY_CODES)) {
      expect(documented, code).toContain(code);
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain(`**${severity}**`);
    }
  });

  it('documents no gateway code that the registry does not have', () => {
    expect(documented.filter((code) => !(code in GATEWAY_CODES))).toEqual([]);
  });
});
