import { describe, expect, it } from 'vitest';
import { parseSerializedOrigin } from '../../src/index.js';

// Inputs found by the property tests; each row states what the WHATWG URL parser does with it.
describe('parseSerializedOrigin regressions found by fast-check', () => {
  it.each([
    ['http://0x_:1', 'a last label "0x_" is not a number, so the host is a domain (URL "ends in a number")'],
    ['http://a.0x_', 'the same, after another label'],
  ])('accepts %s as the URL parser does: %s', (origin) => {
    expect(new URL(origin).origin).toBe(origin);
    expect(parseSerializedOrigin(origin)).not.toBeNull();
  });

  it.each([
    [
      'http://0x7f.0.0.1',
      'the URL parser reads it as IPv4 and writes it 127.0.0.1, so it is not a serialized origin',
    ],
    ['http://a.0x1f', 'a last label "0x1f" is a number, so the whole host is parsed as IPv4 and fails'],
  ])('refuses %s: %s', (origin) => {
    expect(parseSerializedOrigin(origin)).toBeNull();
  });
});
