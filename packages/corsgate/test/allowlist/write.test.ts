import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AllowlistError,
  editAllowlistText,
  formatAllowlist,
  writeAllowlist,
  writeFileAtomic,
} from '../../src/allowlist/index.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corsgate-write-'));
  file = join(dir, 'origins.list');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAllowlist', () => {
  it('writes a list of entries, one a line, ending in a newline', async () => {
    const result = await writeAllowlist(file, ['https://a.example.com', 'https://b.example.com']);
    expect(result.written).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('https://a.example.com\nhttps://b.example.com\n');
  });

  it('adds one entry at the end, keeping comments, blank lines and order byte for byte', async () => {
    const before = '# prod\nhttps://b.example.com\n\n# partners\nhttps://a.example.com\n';
    writeFileSync(file, before);
    const result = await writeAllowlist(file, { add: 'https://C.example.com/' });
    expect(result).toMatchObject({ added: ['https://c.example.com'], removed: [], written: true });
    expect(readFileSync(file, 'utf8')).toBe(`${before}https://c.example.com\n`);
  });

  it('removes one entry however it was written, keeping everything else', async () => {
    writeFileSync(
      file,
      '# prod\nhttps://b.example.com\n  HTTPS://A.example.com:443  \n# partners\nhttps://c.example.com\n',
    );
    const result = await writeAllowlist(file, { remove: 'https://a.example.com' });
    expect(result.removed).toEqual(['https://a.example.com']);
    expect(readFileSync(file, 'utf8')).toBe(
      '# prod\nhttps://b.example.com\n# partners\nhttps://c.example.com\n',
    );
  });

  it('keeps a BOM and CRLF line ends when editing', async () => {
    writeFileSync(file, '\uFEFF# list\r\nhttps://a.example.com\r\n');
    await writeAllowlist(file, { add: 'https://b.example.com' });
    expect(readFileSync(file, 'utf8')).toBe(
      '\uFEFF# list\r\nhttps://a.example.com\r\nhttps://b.example.com\r\n',
    );
  });

  it('does not write when the entry to add is already listed', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const inode = statSync(file).ino;
    const result = await writeAllowlist(file, { add: 'https://A.example.com/' });
    expect(result.written).toBe(false);
    expect(statSync(file).ino).toBe(inode);
  });

  it('refuses an invalid entry with its code and suggestion, and leaves the file untouched', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const error = await writeAllowlist(file, { add: 'app.example.com' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).code).toBe('CG_ORIGIN_MISSING_SCHEME');
    expect((error as AllowlistError).issues[0]?.suggestion).toBe('did you mean https://app.example.com?');
    expect(readFileSync(file, 'utf8')).toBe('https://a.example.com\n');
  });

  it('refuses to write a whole list with an error (named by line), leaving no temporary file', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    const error = (await writeAllowlist(file, ['https://ok.example.com', '*'], {
      config: { credentials: true },
    }).catch((e: unknown) => e)) as AllowlistError;
    expect(error.code).toBe('CG_ORIGIN_ANY_WITH_CREDENTIALS');
    expect(error.message).toContain(`${file}:2:1: error CG_ORIGIN_ANY_WITH_CREDENTIALS`);
    expect(readFileSync(file, 'utf8')).toBe('https://a.example.com\n');
    expect(readdirSync(dir)).toEqual(['origins.list']);
  });

  it('creates a missing file from an edit', async () => {
    await writeAllowlist(file, { add: ['https://a.example.com', 'https://b.example.com'] });
    expect(readFileSync(file, 'utf8')).toBe('https://a.example.com\nhttps://b.example.com\n');
  });

  it('replaces the file with a new inode (never in place) and keeps its permission bits', async () => {
    writeFileSync(file, 'https://a.example.com\n');
    chmodSync(file, 0o640);
    const inode = statSync(file).ino;
    await writeAllowlist(file, { add: 'https://b.example.com' });
    const after = statSync(file);
    expect(after.ino).not.toBe(inode);
    expect(after.mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['origins.list']);
  });

  it('writes through a symlink, which stays a symlink', async () => {
    const real = join(dir, 'real.list');
    writeFileSync(real, 'https://a.example.com\n');
    symlinkSync('real.list', file);
    await writeAllowlist(file, { add: 'https://b.example.com' });
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('https://a.example.com\nhttps://b.example.com\n');
  });

  it('serialises concurrent edits in one process: none is lost', async () => {
    writeFileSync(file, '# list\n');
    const origins = Array.from({ length: 20 }, (_, i) => `https://app${i}.example.com`);
    await Promise.all(origins.map((o) => writeAllowlist(file, { add: o })));
    expect(readFileSync(file, 'utf8')).toBe(`# list\n${origins.join('\n')}\n`);
  });

  it('never lets a concurrent reader see a partial file', async () => {
    // Two large, different versions; a reader loops while the writer alternates between them.
    const a = `${Array.from({ length: 20_000 }, (_, i) => `https://a${i}.example.com`).join('\n')}\n`;
    const b = `${Array.from({ length: 15_000 }, (_, i) => `https://b${i}.example.org`).join('\n')}\n`;
    writeFileSync(file, a);
    let writing = true;
    const seen = { a: 0, b: 0, other: 0 };
    const reader = (async () => {
      while (writing) {
        const text = await readFile(file, 'utf8');
        if (text === a) seen.a++;
        else if (text === b) seen.b++;
        else seen.other++;
      }
    })();
    for (let i = 0; i < 40; i++) await writeFileAtomic(file, i % 2 === 0 ? b : a);
    writing = false;
    await reader;
    expect(seen.other).toBe(0);
    expect(seen.a + seen.b).toBeGreaterThan(10);
  });
});

describe('editAllowlistText and formatAllowlist', () => {
  it('appends to a file without a final newline on a line of its own', () => {
    expect(editAllowlistText('https://a.example.com', { add: 'https://b.example.com' }).text).toBe(
      'https://a.example.com\nhttps://b.example.com\n',
    );
  });

  it('rewrites each valid entry in normalised form, keeping comments, order and invalid lines', () => {
    const text =
      '\uFEFF# apps\r\n  HTTPS://App.Example.com/  \r\n\r\nhttps://bücher.example:443\r\napp.example.com\r\nhttps://app.example.com\r\n';
    expect(formatAllowlist(text)).toBe(
      '# apps\nhttps://app.example.com\n\nhttps://xn--bcher-kva.example\napp.example.com\nhttps://app.example.com\n',
    );
    expect(formatAllowlist(text, { removeDuplicates: true })).toBe(
      '# apps\nhttps://app.example.com\n\nhttps://xn--bcher-kva.example\napp.example.com\n',
    );
  });
});
