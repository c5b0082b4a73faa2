/** docs/cli.md documents every class `corsgate scan` reports, with the severities the code gives. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_CLASSES, type FindingId } from '../../src/scan/findings.js';

const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/cli.md'), 'utf8');
const section = doc.slice(doc.indexOf('## `corsgate scan`'), doc.indexOf('## `corsgate origin`'));

describe('docs/cli.md and the scan classes agree', () => {
  it.each(Object.keys(FINDING_CLASSES) as FindingId[])('documents %s with its two severities', (id) => {
    const { credentials, anonymous } = FINDING_CLASSES[id].severity;
    expect(section).toMatch(new RegExp(`\\| \`${id}\` +\\| ${credentials} +\\| ${anonymous} +\\|`));
  });

  it('documents no class the code does not report', () => {
    const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` +\| (?:low|medium|high|critical) /gm)].map(
      (m) => m[1],
    );
    expect(rows.sort()).toEqual(Object.keys(FINDING_CLASSES).sort());
  });
});
