import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllowlist, parseAllowlistAsync } from '../../src/allowlist/index.js';

const line = fc.constantFrom(
  'https://app.example.com',
  '  https://b.example.com  ',
  'HTTPS://C.example.com',
  'https://d.example.com/',
  'https://e.example.com/path',
  'https://*.example.com',
  'http://localhost:*',
  '# a comment',
  '',
  'null',
  '*',
  'app.example.com',
  'http://plain.example.com',
);

describe('parseAllowlistAsync', () => {
  it('returns exactly what parseAllowlist returns for random files, bytes or text, with or without credentials', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 20 }),
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        async (lines, credentials, eol, asBytes) => {
          const text = lines.join(eol) + eol;
          const input = asBytes ? new TextEncoder().encode(text) : text;
          const sync = parseAllowlist(input, { credentials });
          const sliced = await parseAllowlistAsync(input, { config: { credentials }, sliceBudgetMs: 0 });
          expect({ ...sliced, policy: sliced.policy === undefined }).toEqual({
            ...sync,
            policy: sync.policy === undefined,
          });
          expect(sliced.policy?.config()).toEqual(sync.policy?.config());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports bytes that are not UTF-8 with their line and column, as parseAllowlist does', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('https://a.example.com\nhttps://b'),
      0xff,
      0x0a,
    ]);
    const sliced = await parseAllowlistAsync(bytes);
    expect(sliced.errors).toEqual([
      expect.objectContaining({ code: 'CG_ALLOWLIST_INVALID_UTF8', line: 2, column: 10 }),
    ]);
    expect(sliced).toEqual(parseAllowlist(bytes));
  });

  it('gives the event loop turns over a 30,000-line file and maps its lines, errors and duplicates as parseAllowlist does', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `https://a${i}.example.com`);
    lines[20_000] = '# a comment';
    lines[25_000] = 'https://a7.example.com';
    const text = `${lines.join('\n')}\n`;
    let yields = 0;
    const sliced = await parseAllowlistAsync(text, {
      sliceBudgetMs: 0,
      yieldToEventLoop: () => {
        yields++;
        return new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    const sync = parseAllowlist(text);
    // Splitting (every 5,000 lines), compiling (every 1,000 origins) and mapping all yield.
    expect(yields).toBeGreaterThan(29 + 5);
    expect(sliced.entries).toEqual(sync.entries);
    expect(sliced.entries).toHaveLength(29_998);
    expect(sliced.entries[29_997]).toEqual({ origin: 'https://a29999.example.com', line: 30_000 });
    expect(sliced.warnings).toEqual(sync.warnings);
    expect(sliced.warnings).toEqual([
      expect.objectContaining({
        code: 'CG_ORIGIN_DUPLICATE',
        line: 25_001,
        message: expect.stringContaining('line 8'),
      }),
    ]);
    expect(sliced.policy?.evaluate({ method: 'GET', origin: 'https://a29999.example.com' }).allowed).toBe(
      true,
    );
  });
});
