/**
 * Appending to `Vary`: the one rule every way in follows (R24, docs/rules.md §1.6). Tokens are
 * appended, never written over what the application or upstream set; a token already present (in
 * any case: RFC 9110 §12.5.5) is not repeated; `Vary: *` already varies on everything and is left alone.
 */

/**
 * @param existing the response's current `Vary` (one value, several lines, or none)
 * @param tokens the tokens to add, e.g. a decision's `vary`
 * @returns the new `Vary` value, or undefined when there is none to set
 * @example
 * appendVary('Accept-Encoding', ['Origin']) // 'Accept-Encoding, Origin'
 * appendVary('origin', ['Origin'])          // 'origin'
 */
export function appendVary(
  existing: string | readonly string[] | undefined,
  tokens: readonly string[],
): string | undefined {
  const current = existing === undefined ? '' : typeof existing === 'string' ? existing : existing.join(', ');
  if (tokens.length === 0) return existing === undefined ? undefined : current;
  if (current === '') return tokens.length === 1 ? tokens[0] : tokens.join(', ');
  // Most often the value is the one corsgate set a moment ago: nothing to split.
  if (tokens.length === 1 && current === tokens[0]) return current;
  const present = presentTokens(current);
  if (present === undefined) return current;
  let out = current;
  for (const token of tokens) {
    const lower = token.toLowerCase();
    if (present.includes(lower)) continue;
    out += `, ${token}`;
    present.push(lower);
  }
  return out;
}

/**
 * The lower-case tokens of a `Vary` value, or undefined for `Vary: *`. A list, not a set: a `Vary`
 * holds a handful of tokens, and this runs on the request path.
 */
function presentTokens(current: string): string[] | undefined {
  const present: string[] = [];
  for (const part of current.split(',')) {
    const token = part.trim().toLowerCase();
    if (token === '*') return undefined;
    if (token !== '') present.push(token);
  }
  return present;
}
