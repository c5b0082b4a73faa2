import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizePath, normalizeTarget } from '../src/path/normalize.js';

// Each row: target → the path and query forwarded, or the problem answered with 400.
const ACCEPTED: [string, string, string][] = [
  ['/', '/', ''],
  ['/api/items/7', '/api/items/7', ''],
  ['/a//b///c', '/a/b/c', ''],
  ['//api/x', '/api/x', ''],
  ['/a/./b/../c', '/a/c', ''],
  ['/a/b/..', '/a/', ''],
  ['/a/b/.', '/a/b/', ''],
  ['/../../etc/passwd', '/etc/passwd', ''],
  ['/public/../api/items/7/delete', '/api/items/7/delete', ''],
  ['/a/', '/a/', ''],
  ['/%61pi/x', '/api/x', ''],
  ['/a%7eb/%2Dc', '/a~b/-c', ''],
  ['/file%2ejson', '/file.json', ''],
  ['/a%20b/%c3%a9', '/a%20b/%C3%A9', ''],
  ['/.well-known/x', '/.well-known/x', ''],
  ['/a..b/c.', '/a..b/c.', ''],
  ['/a?b=/../c&d=%2f', '/a', '?b=/../c&d=%2f'],
  ['/x?', '/x', '?'],
  ['http://example.com/a/../b?q=1', '/b', '?q=1'],
  ['HTTPS://example.com', '/', ''],
  ['http://example.com?q', '/', '?q'],
];

const REFUSED: [string, string][] = [
  ['/api/items/7%2f..%2f..%2f..%2fpublic/delete', 'target-escaped-separator'],
  ['/api/..%2fpublic/x', 'target-escaped-separator'],
  ['/api%2Fx', 'target-escaped-separator'],
  ['/api/7%5c..%5cpublic', 'target-escaped-separator'],
  ['/api/7%5C..%5Cpublic', 'target-escaped-separator'],
  ['/public/%2e%2e/api/x', 'target-escaped-dot-segment'],
  ['/public/%2E./api/x', 'target-escaped-dot-segment'],
  ['/public/.%2E/api/x', 'target-escaped-dot-segment'],
  ['/a/%2e/b', 'target-escaped-dot-segment'],
  ['/%2e%2e/admin', 'target-escaped-dot-segment'],
  ['/public/..;/api/x', 'target-escaped-dot-segment'],
  ['/public/..;x=1/api', 'target-escaped-dot-segment'],
  ['/a\\..\\b', 'target-character'],
  ['/a b', 'target-character'],
  ['/a\u00e9', 'target-character'],
  ['/a%zz', 'target-escape'],
  ['/a%2', 'target-escape'],
  ['/a%00b', 'target-escape'],
  ['/a%0d%0aX:1', 'target-escape'],
  ['/a#b', 'target-fragment'],
  ['/a?b#c', 'target-fragment'],
  ['*', 'target-form'],
  ['api/x', 'target-form'],
  ['ftp://h/x', 'target-form'],
  ['/a?b\u0000', 'target-character'],
];

describe('normalizeTarget: the path the gateway decides on is the path it forwards', () => {
  it.each(ACCEPTED)('forwards %s as %s', (target, path, query) => {
    expect(normalizeTarget(target)).toEqual({ ok: true, path, query });
  });

  it.each(REFUSED)('refuses %s as %s', (target, problem) => {
    expect(normalizeTarget(target)).toEqual({ ok: false, problem });
  });

  it('with escaped paths unescaped, decodes %2F, %5C and %2E and then normalises (never an escape)', () => {
    const unescaping = (t: string) => normalizeTarget(t, 'unescape');
    expect(unescaping('/api/items/7%2f..%2f..%2f..%2fpublic/delete')).toEqual({
      ok: true,
      path: '/public/delete',
      query: '',
    });
    expect(unescaping('/api%2Fx')).toEqual({ ok: true, path: '/api/x', query: '' });
    expect(unescaping('/api/7%5c..%5cpublic')).toEqual({ ok: true, path: '/api/public', query: '' });
    expect(unescaping('/public/%2e%2e/api/x')).toEqual({ ok: true, path: '/api/x', query: '' });
    // What stays ambiguous whatever the option says: `..;`, raw backslashes, broken escapes.
    expect(unescaping('/public/..;/api')).toEqual({ ok: false, problem: 'target-escaped-dot-segment' });
    expect(unescaping('/a\\b')).toEqual({ ok: false, problem: 'target-character' });
    expect(unescaping('/a%zz')).toEqual({ ok: false, problem: 'target-escape' });
  });

  it('returns the very same string for a path that needs nothing (the common case allocates nothing)', () => {
    const path = '/api/items/7/delete';
    expect(normalizePath(path)).toBe(path);
  });
});

/** Paths an attacker might build: segments of dots, slashes, escapes of the separators and dots. */
const piece = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2f',
  '%5c',
  '%41',
  '%25',
  '%3b',
  ';',
  'a',
  'B',
  '-',
  '~',
  'api',
  'x.y',
);
const attackPath = fc.array(piece, { maxLength: 14 }).map((ps) => `/${ps.join('')}`);

describe('normalizePath properties', () => {
  for (const mode of ['reject', 'unescape'] as const) {
    it(`is idempotent, and never leaves a dot segment or "//" (${mode})`, () => {
      fc.assert(
        fc.property(attackPath, (path) => {
          const once = normalizePath(path, mode);
          if (typeof once !== 'string') return;
          expect(normalizePath(once, mode)).toBe(once);
          expect(once.startsWith('/')).toBe(true);
          expect(once).not.toContain('//');
          const segments = once.split('/').map((s) => s.split(';')[0]);
          expect(segments).not.toContain('.');
          expect(segments).not.toContain('..');
          // No escape that some server would turn into a separator or a dot.
          expect(once).not.toMatch(/%(2e|2f|5c)/i);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('refuses exactly the paths whose meaning changes when a second server decodes them (reject)', () => {
    fc.assert(
      fc.property(attackPath, (path) => {
        const result = normalizePath(path, 'reject');
        if (typeof result !== 'string') return;
        // Decoding the forwarded path once more (what an upstream does) adds no separator and no
        // dot segment: the upstream routes what the gateway decided on.
        const decoded = decodeURIComponent(result);
        expect(decoded.split('/').length).toBe(result.split('/').length);
        expect(decoded.split('/')).not.toContain('..');
        expect(decoded.split('/')).not.toContain('.');
      }),
      { numRuns: 3000 },
    );
  });
});
