/**
 * The write path's sliced steps give exactly what the one-step functions give (docs/console.md
 * "Long lists"): on lists long enough to be sliced, with comments, blank lines, CRLF, a BOM,
 * entries written unnormalised and listed twice, and a line holding a lone CR.
 */
import { editAllowlistText } from 'corsgate/allowlist';
import { describe, expect, it } from 'vitest';
import { diffLines } from '../../src/admin/audit.js';
import { diffInSlices, editInSlices } from '../../src/admin/slices.js';

function bigList(eol: string, bom = ''): string {
  const lines = ['# callers', ''];
  for (let i = 0; i < 12_000; i++) {
    if (i % 997 === 0) lines.push(`# block ${i}\r+ https://smuggled.example`);
    if (i % 1500 === 0) lines.push('  HTTPS://Twice.Example.com/  ');
    lines.push(i % 3 === 0 ? `https://app${i}.example.com` : `https://*.app${i}.example.org`);
  }
  return `${bom}${lines.join(eol)}${eol}`;
}

describe('the sliced write steps', () => {
  for (const [name, text] of [
    ['LF', bigList('\n')],
    ['CRLF with a BOM', bigList('\r\n', '\uFEFF')],
  ] as const) {
    it(`edit and diff exactly as in one step (${name})`, async () => {
      for (const [action, origin] of [
        ['add', 'https://new.example.net'],
        ['add', 'https://app3.example.com'],
        ['add', 'HTTPS://Twice.example.com'],
        ['remove', 'https://twice.example.com'],
        ['remove', 'https://app9.example.com'],
        ['remove', 'https://absent.example.com'],
      ] as const) {
        const whole = editAllowlistText(text, { [action]: origin });
        const sliced = await editInSlices(text, action, origin);
        expect(sliced.text, `${action} ${origin}`).toBe(whole.text);
        expect(sliced.removed, `${action} ${origin}`).toEqual(whole.removed);
        expect(await diffInSlices(text, sliced.text)).toEqual(diffLines(text, whole.text));
      }
    });
  }

  it('refuses an origin the engine refuses, as the one-step edit does', async () => {
    await expect(editInSlices(bigList('\n'), 'add', 'https://x.example.com/path')).rejects.toThrow();
    expect(() => editAllowlistText(bigList('\n'), { add: 'https://x.example.com/path' })).toThrow();
  });
});
