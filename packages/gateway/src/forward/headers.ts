/** Header plumbing for the proxy: hop-by-hop removal (RFC 9110 §7.6.1). */

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

/**
 * The `Connection` values nearly every request and response carries, answered without building a
 * set (bench/gateway/RESULTS.md, "Where the time goes"): `keep-alive` lists only a name already
 * hop-by-hop; `close` lists `close`.
 */
const KEEP_ALIVE: ReadonlySet<string> = new Set(['keep-alive', 'Keep-Alive']);
const CLOSE_ONLY: ReadonlySet<string> = new Set(['close']);

/** Names a `Connection` header lists are hop-by-hop too; returns undefined when there are none. */
export function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> | undefined {
  if (value === undefined || (typeof value === 'string' && KEEP_ALIVE.has(value))) return undefined;
  if (value === 'close' || value === 'Close') return CLOSE_ONLY;
  const out = new Set<string>();
  for (const line of Array.isArray(value) ? value : [value])
    for (const t of line.split(',')) {
      const token = t.trim().toLowerCase();
      if (token !== '') out.add(token);
    }
  return out.size === 0 ? undefined : out;
}

export function isHopByHop(lowerName: string, listed: ReadonlySet<string> | undefined): boolean {
  return HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-') || listed?.has(lowerName) === true;
}
