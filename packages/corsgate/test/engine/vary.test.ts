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
    ['leaves a value that is exactly the token as it is', 'Origin', ['Origin'], 'Origin'],
    ['does not repeat a lone token in another case', 'origin', ['Origin'], 'origin'],
    [
      'does not repeat tokens that sit among blanks and empty items',
      ' , origin ,',
      ['Origin'],
      ' , origin ,',
    ],
    [
      'adds two tokens once each, when the same token is asked for twice',
      'Accept',
      ['Origin', 'origin', 'Access-Control-Request-Method'],
      'Accept, Origin, Access-Control-Request-Method',
    ],
    ['leaves * alone among other tokens', 'Accept, *', ['Origin'], 'Accept, *'],
  ];
  it.each(rows)('%s', (_description, existing, tokens, expected) => {
    expect(appendVary(existing, tokens)).toBe(expected);
  });
});
