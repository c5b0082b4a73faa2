import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATEWAY_CODES } from '../src/config/codes.js';
import { EXPORT_CODES } from '../src/export/plan.js';

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

describe('admin answer codes carry their status', () => {
  const adminDir = new URL('../src/admin/', import.meta.url).pathname;
  const sources = readdirSync(adminDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(adminDir, f), 'utf8'))
    .join('\n');
  const used = [...new Set([...sources.matchAll(/'(CG_GATEWAY_ADMIN_[A-Z_]+)'/g)].map((m) => m[1]!))];

  it('gives every code the admin listener answers with an HTTP status in the registry', () => {
    expect(used.length).toBeGreaterThan(5);
    for (const code of used) {
      const entry = GATEWAY_CODES[code as keyof typeof GATEWAY_CODES] as { status?: number } | undefined;
      expect(entry?.status, code).toBeTypeOf('number');
    }
  });

  it('documents each such code with its status in docs/errors.md', () => {
    for (const [code, entry] of Object.entries(GATEWAY_CODES)) {
      if (!('status' in entry)) continue;
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain(`\`${entry.status}\``);
    }
  });
});

describe('docs/errors.md and the exporter codes', () => {
  const exportDocumented = [...doc.matchAll(/^## (CG_EXPORT_[A-Z0-9_]+)$/gm)].map((m) => m[1]!);

  it('documents every code corsgate export refuses with, and no other', () => {
    expect(exportDocumented.sort()).toEqual(Object.keys(EXPORT_CODES).sort());
    for (const code of exportDocumented) {
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain('**error**');
    }
  });
});
