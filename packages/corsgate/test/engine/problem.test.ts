import { describe, expect, it } from 'vitest';
import {
  escapeControlCharacters,
  excerpt,
  formatProblem,
  jsonForTerminal,
  locationOf,
  MAX_ECHO_LENGTH,
} from '../../src/engine/problem.js';

describe('formatProblem: the one problem line', () => {
  it('prints FILE:LINE:COL: severity CODE message (suggestion), dropping the "corsgate: " prefix', () => {
    expect(
      formatProblem({
        where: locationOf('origins.list', 3, 7),
        severity: 'error',
        code: 'CG_ORIGIN_HAS_PATH',
        message: 'corsgate: "https://a.com/x" has a path',
        suggestion: 'did you mean https://a.com?',
      }),
    ).toBe(
      'origins.list:3:7: error CG_ORIGIN_HAS_PATH "https://a.com/x" has a path (did you mean https://a.com?)',
    );
  });

  it('names a flag, a whole file (line 0) or a config path alone when there is no line', () => {
    const line = (where: string) =>
      formatProblem({ where, severity: 'warning', code: 'CG_X', message: 'why' });
    expect(line('--max-age')).toBe('--max-age: warning CG_X why');
    expect(line(locationOf('origins.list', 0, 0))).toBe('origins.list: warning CG_X why');
    expect(line('origins[2]')).toBe('origins[2]: warning CG_X why');
  });

  it('escapes what a terminal would obey in every part, the place included', () => {
    const printed = formatProblem({
      where: 'evil\x1b[2J.list:1:1',
      severity: 'error',
      code: 'CG_X',
      message: 'bell\x07 cr\r lf\n tab\t del\x7f c1\x9b rlo\u202e lri\u2066 ls\u2028',
      suggestion: 'write \u202ex',
    });
    expect(printed).toBe(
      'evil\\x1b[2J.list:1:1: error CG_X bell\\x07 cr\\r lf\\n tab\\t del\\x7f c1\\x9b rlo\\u202e lri\\u2066 ls\\u2028 (write \\u202ex)',
    );
  });

  it('leaves ordinary Unicode (an IDN host, accents) as it is', () => {
    expect(escapeControlCharacters('https://bücher.example é')).toBe('https://bücher.example é');
  });
});

describe('excerpt: at most MAX_ECHO_LENGTH characters of an offending value', () => {
  it('keeps a value of MAX_ECHO_LENGTH characters and clips one character more, marking it with …', () => {
    const exact = 'a'.repeat(MAX_ECHO_LENGTH);
    expect(excerpt(exact)).toBe(exact);
    const clipped = excerpt(`${exact}b`);
    expect(clipped).toHaveLength(MAX_ECHO_LENGTH);
    expect(clipped.endsWith('…')).toBe(true);
  });
});

describe('jsonForTerminal: JSON whose strings cannot drive a terminal', () => {
  it('writes C0 (by JSON.stringify), C1 and bidi characters as \\u escapes, and parses back to the same value', () => {
    const value = { text: 'a\x1b[31m\u202eb\x85c' };
    const json = jsonForTerminal(value);
    expect(json).toBe('{\n  "text": "a\\u001b[31m\\u202eb\\u0085c"\n}');
    expect(JSON.parse(json)).toEqual(value);
  });
});
