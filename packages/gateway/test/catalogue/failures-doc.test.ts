/**
 * docs/failures.md is generated from the failure catalogue (catalogue/classes.ts): this test
 * renders it and compares. After changing a class, regenerate with
 * `npx vitest run packages/gateway/test/catalogue/failures-doc.test.ts -u`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, CLASS_IDS, type ClassKind, type FailureClass } from '../../src/catalogue/classes.js';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '../../src');
const repo = join(here, '../../../..');
const biome = join(repo, 'node_modules/.bin/biome');
const rulesDoc = readFileSync(join(here, '../../../../docs/rules.md'), 'utf8');

const KINDS: readonly [ClassKind, string, string][] = [
  [
    'blocked',
    'Blocked by the browser',
    'The browser refuses the response; the script gets a network error and the console names the cause.',
  ],
  [
    'over-trust',
    'Over-trust',
    'The request works, for origins that should never have had access (`corsgate scan` probes for these; `corsgate check --credentials` for the first two).',
  ],
  [
    'mistake',
    'Server mistakes',
    'Habits that break some users, some of the time (`corsgate check` and `corsgate scan` flag them).',
  ],
  [
    'not-cors',
    'Not CORS',
    'Failures that look like CORS (the console says the request was blocked or did not succeed) but that no response header can fix; `corsgate explain` names them instead of proposing a CORS change.',
  ],
];

function change(c: FailureClass): string {
  const ch = c.corsgate.change;
  if (ch.kind === 'allow-origin') return 'an allowlist line: the page origin';
  if (ch.kind === 'flag')
    return `the flag \`${ch.flag}${ch.takes === undefined ? '' : ` ${ch.takes.toUpperCase()}`}\``;
  return 'none on corsgate itself';
}

const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function renderClass(id: string, c: FailureClass): string {
  return [
    `### \`${id}\``,
    '',
    `**${capital(c.title)}.** ${capital(c.meaning)}.`,
    '',
    '| | |',
    '| --- | --- |',
    `| Chromium | ${c.engines.chromium} |`,
    `| Firefox | ${c.engines.firefox} |`,
    `| WebKit (Safari) | ${c.engines.webkit} |`,
    `| Severity | ${c.severity.credentials} with credentials, ${c.severity.anonymous} without |`,
    `| Impact | ${c.impact} |`,
    `| Fix (any server) | ${c.fix} |`,
    `| Fix (corsgate) | ${c.corsgate.text} |`,
    `| corsgate change | ${change(c)} |`,
    `| Rules | ${c.rules.length === 0 ? 'none: outside the CORS protocol' : `${c.rules.join(', ')} (docs/rules.md)`} |`,
    '',
  ].join('\n');
}

function renderDoc(): string {
  const out = [
    '# CORS failure classes',
    '',
    '<!-- Generated from packages/gateway/src/catalogue/classes.ts by packages/gateway/test/catalogue/failures-doc.test.ts (run it with -u); do not edit by hand. -->',
    '',
    "Every CORS failure class corsgate knows, once: its id (the same in `corsgate check`'s mistakes,",
    "`corsgate scan`'s findings, the SARIF rule ids and `corsgate explain`'s diagnoses), what it means,",
    'what each engine does about it, its severity, the fix on any server and the fix when the server',
    'is corsgate, and the rules behind it (docs/rules.md). Severity is high or critical only when the',
    'origin in question also gets credentials.',
    '',
  ];
  for (const [kind, heading, intro] of KINDS) {
    out.push(`## ${heading}`, '', intro, '');
    for (const id of CLASS_IDS) if (CATALOGUE[id].kind === kind) out.push(renderClass(id, CATALOGUE[id]));
  }
  // Formatted as `biome check` wants docs/ (aligned tables), by biome itself.
  return execFileSync(biome, ['format', '--stdin-file-path=docs/failures.md'], {
    cwd: repo,
    input: out.join('\n'),
    encoding: 'utf8',
  });
}

describe('the failure catalogue', () => {
  it('is what docs/failures.md says, class for class', async () => {
    await expect(renderDoc()).toMatchFileSnapshot('../../../../docs/failures.md');
  });

  it('rates a class high or critical only when credentials are allowed', () => {
    for (const id of CLASS_IDS) expect(['low', 'medium'], id).toContain(CATALOGUE[id].severity.anonymous);
  });

  it('cites only rule ids that docs/rules.md defines', () => {
    for (const id of CLASS_IDS)
      for (const rule of CATALOGUE[id].rules)
        expect(rulesDoc, `${id} cites ${rule}`).toMatch(
          new RegExp(rule.startsWith('§') ? `^#+ ${rule} ` : `\\*\\*${rule}\\. `, 'm'),
        );
  });

  it('is the only definition: check/ and scan/ never import each other, the catalogue neither', () => {
    const imports = (dir: string) =>
      readdirSync(join(src, dir)).flatMap((f) =>
        [...readFileSync(join(src, dir, f), 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)].map(
          (m) => `${dir}/${f} -> ${m[1]}`,
        ),
      );
    const crossing = [
      ...imports('check').filter((l) => l.endsWith('-> scan')),
      ...imports('scan').filter((l) => l.endsWith('-> check')),
      ...imports('catalogue').filter((l) => /-> (check|scan|commands|cli|admin|server)$/.test(l)),
    ];
    expect(crossing).toEqual([]);
  });
});
