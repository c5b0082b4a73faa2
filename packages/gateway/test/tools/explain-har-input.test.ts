/**
 * `corsgate explain --har` on input that is not a HAR: each case a stable CG_HAR_* code on stderr,
 * exit 2, nothing on stdout; docs/errors.md documents every code and no other. (The HARs the
 * command explains are recorded from real Chromium in test/browser/explain-har.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { HAR_CODES } from '../../src/har/read.js';
import { tempDir } from '../helpers.js';
import { capture } from './_helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function explainHar(file: string, ...flags: string[]) {
  const c = capture({ cwd: tmp.dir });
  const code = await main(['explain', '--har', file, ...flags], c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('corsgate explain --har refuses what is not a HAR', () => {
  it.each([
    [
      'a file that is not JSON',
      'not-json.har',
      '<html>exported the page, not the HAR</html>',
      'CG_HAR_NOT_JSON',
    ],
    ['JSON without log.entries', 'not-har.har', '{"log":{"version":"1.2"}}', 'CG_HAR_NOT_HAR'],
    ['a JSON array', 'array.har', '[1,2,3]', 'CG_HAR_NOT_HAR'],
    [
      'an entry without a request URL',
      'entry.har',
      '{"log":{"entries":[{"request":{"method":"GET"},"response":{"status":200}}]}}',
      'CG_HAR_ENTRY_INVALID',
    ],
  ])('names %s with its code and exits 2', async (_what, name, text, code) => {
    tmp.file(name, text);
    const r = await explainHar(name);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`${name}: error ${code} `);
  });

  it('names a file it cannot read CG_HAR_UNREADABLE', async () => {
    const r = await explainHar('no-such-file.har');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no-such-file.har: error CG_HAR_UNREADABLE ');
  });

  it('refuses --json together with --sarif', async () => {
    tmp.file('empty.har', '{"log":{"entries":[]}}');
    const r = await explainHar('empty.har', '--json', '--sarif');
    expect(r.code).toBe(2);
    expect(r.err).toContain('at most one of --json and --sarif');
  });

  it('reads a HAR with no cross-origin request as nothing to explain, exit 0', async () => {
    tmp.file('empty.har', '{"log":{"entries":[]}}');
    const r = await explainHar('empty.har');
    expect(r.code).toBe(0);
    expect(r.out).toContain('no cross-origin request in the file');
  });
});

describe('docs/errors.md and the HAR codes', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  it('documents every code explain --har refuses with, and no other', () => {
    const documented = [...doc.matchAll(/^## (CG_HAR_[A-Z0-9_]+)$/gm)].map((m) => m[1]!);
    expect(documented.sort()).toEqual(Object.keys(HAR_CODES).sort());
    for (const code of documented) {
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section, code).toContain('**error**');
    }
  });
});
