/**
 * The explain form and `GET /explain` (docs/console.md): the decision the list in force gives one
 * script request, the reason, and the allowlist line that allowed it. The line is found only here,
 * on demand, by matching the origin against each entry's pattern; the request path never scans.
 */
import {
  type Decision,
  parseOriginPattern,
  parseSerializedOrigin,
  REASONS,
  type RequestFacts,
} from 'corsgate';
import type { AllowlistSnapshot } from 'corsgate/allowlist';
import { parseScriptRequest, scriptRequestFacts } from '../browser-model/index.js';

export interface Explained {
  readonly request: RequestFacts;
  readonly decision: Decision;
  readonly explanation: string;
  /** The allowlist entry that allowed the origin, with its line; null when none did. */
  readonly rule: { readonly entry: string; readonly line: number } | null;
}

/** A version's entries indexed for `matchingEntry`: exact origins by text, patterns in order. */
interface EntryIndex {
  readonly exact: ReadonlyMap<string, number>;
  readonly patterns: readonly { readonly entry: string; readonly line: number }[];
}

const indexes = new WeakMap<AllowlistSnapshot, EntryIndex>();

/**
 * Built once per version: an exact entry is stored normalised, so it is found by its text; only
 * the entries with a wildcard (and `*`, `null`) are matched one by one. A console page with 100
 * refused origins against a 100,000-line list then costs 100 lookups, not 10 million matches.
 */
function entryIndex(snapshot: AllowlistSnapshot): EntryIndex {
  let index = indexes.get(snapshot);
  if (index !== undefined) return index;
  const exact = new Map<string, number>();
  const patterns: { entry: string; line: number }[] = [];
  for (const e of snapshot.entries) {
    if (e.origin.includes('*') || e.origin === 'null') patterns.push({ entry: e.origin, line: e.line });
    else if (!exact.has(e.origin)) exact.set(e.origin, e.line);
  }
  index = { exact, patterns };
  indexes.set(snapshot, index);
  return index;
}

/** Whether one entry (a pattern or `*`/`null`) matches the origin. */
function entryMatches(entry: string, origin: string, o: ReturnType<typeof parseSerializedOrigin>): boolean {
  if (entry === '*') return true;
  if (o === null) return origin === 'null' && entry === 'null';
  const parsed = parseOriginPattern(entry);
  if (!parsed.ok || parsed.pattern.kind !== 'origin') return false;
  const p = parsed.pattern;
  if (p.scheme !== o.scheme) return false;
  if (p.port !== 'any' && p.port !== o.port) return false;
  return p.subdomains ? o.host.endsWith(`.${p.host}`) : o.host === p.host;
}

/** The first entry (the lowest line) that matches the origin: the one an operator would edit. */
export function matchingEntry(
  snapshot: AllowlistSnapshot,
  origin: string,
): { entry: string; line: number } | null {
  const index = entryIndex(snapshot);
  const o = parseSerializedOrigin(origin);
  const exactLine = o === null ? undefined : index.exact.get(origin);
  for (const p of index.patterns) {
    if (exactLine !== undefined && p.line > exactLine) break;
    if (entryMatches(p.entry, origin, o)) return p;
  }
  return exactLine === undefined ? null : { entry: origin, line: exactLine };
}

export function explainRequest(
  snapshot: AllowlistSnapshot,
  origin: string,
  method: string,
  headerLines: readonly string[],
): { ok: true; result: Explained } | { ok: false; problems: string[] } {
  const script = parseScriptRequest(origin, method, headerLines);
  if (!script.ok) return script;
  const request = scriptRequestFacts(script.request);
  const decision = snapshot.policy.evaluate(request);
  return {
    ok: true,
    result: {
      request,
      decision,
      explanation: REASONS[decision.reason],
      rule: decision.allowed ? matchingEntry(snapshot, origin) : null,
    },
  };
}
