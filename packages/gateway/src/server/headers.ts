/** Header plumbing for the proxy: hop-by-hop removal (RFC 9110 §7.6.1) and Vary merging. */

/** Hop-by-hop headers: they describe one connection and are never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Names a `Connection` header lists are hop-by-hop too; returns undefined when there are none. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const out = new Set<string>();
  for (const line of Array.isArray(value) ? value : [value])
    for (const t of line.split(',')) {
      const token = t.trim().toLowerCase();
      if (token !== '') out.add(token);
    }
  return out.size === 0 ? undefined : out;
}

export function isHopByHop(lowerName: string, listed: Set<string> | undefined): boolean {
  return (
    HOP_BY_HOP.has(lowerName) ||
    lowerName.startsWith('proxy-') ||
    (listed !== undefined && listed.has(lowerName))
  );
}

/**
 * Appends tokens to a Vary value without duplicating any (names compare case-insensitively) and
 * leaves `*` alone: the upstream's own Vary is never overwritten (R24).
 */
export function appendVary(
  existing: string | string[] | undefined,
  tokens: readonly string[],
): string | undefined {
  if (tokens.length === 0)
    return existing === undefined ? undefined : Array.isArray(existing) ? existing.join(', ') : existing;
  const current = existing === undefined ? '' : Array.isArray(existing) ? existing.join(', ') : existing;
  if (current === '') return tokens.join(', ');
  const present = new Set<string>();
  for (const t of current.split(',')) {
    const token = t.trim().toLowerCase();
    if (token === '*') return current;
    if (token !== '') present.add(token);
  }
  let out = current;
  for (const t of tokens) {
    const lower = t.toLowerCase();
    if (!present.has(lower)) {
      out += `, ${t}`;
      present.add(lower);
    }
  }
  return out;
}
