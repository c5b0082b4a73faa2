import { describe, expect, it } from 'vitest';
import { appendVary } from '../../src/index.js';

describe('appendVary (R24): every adapter and the gateway append Vary this way', () => {
  const rows: [string, string, string[], string][] = [
    ['appends to an existing list', 'Accept-Encoding', ['Origin'], 'Accept-Encoding, Origin'],
    [
      'does not repeat a token present in another case',
      'accept-encoding, ORIGIN',
      ['Origin'],
      'accept-encoding, ORIGIN',
    ],
    ['does not mistake a longer token for the one to add', 'X-Origin-Id', ['Origin'], 'X-Origin-Id, Origin'],
    ['leaves * alone', '*', ['Origin'], '*'],
    ['adds to an empty value', '', ['Origin'], 'Origin'],
    [
      'adds only the missing tokens',
      'Origin',
      ['Origin', 'Access-Control-Request-Headers'],
      'Origin, Access-Control-Request-Headers',
    ],
  ];
  it.each(rows)('%s', (_description, existing, tokens, expected) => {
    expect(appendVary(existing, tokens)).toBe(expected);
  });
});
