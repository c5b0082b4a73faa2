/**
 * Recently refused origins, with counts: what browsers actually send, which is the value an
 * operator needs to add. Memory is bounded whatever arrives: a fixed-capacity table in
 * least-recently-seen order (a Map keeps insertion order; a hit moves its entry to the end, a new
 * entry past capacity evicts the first). A flood of distinct origins can push out older ones,
 * never grow the table. Values are clipped so one entry is small.
 */
import type { DeniedView } from '../views/denied.js';

export type { DeniedView } from '../views/denied.js';

export interface DeniedEntry {
  origin: string;
  reason: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  sampleMethod: string;
  samplePath: string;
  /** Log rate limiting: when this origin+reason was last logged, and how many since. */
  loggedAt: number;
  suppressed: number;
}

const MAX_VALUE = 256;

function clip(value: string): string {
  return value.length > MAX_VALUE ? value.slice(0, MAX_VALUE) : value;
}

export class DeniedTable {
  private readonly entries = new Map<string, DeniedEntry>();
  evicted = 0;

  /** Called for every refused request recorded: the fleet's shared counts (docs/sources.md "Fleet view"). */
  onRecord: ((origin: string, reason: string) => void) | undefined;

  constructor(readonly capacity = 1000) {}

  get size(): number {
    return this.entries.size;
  }

  record(origin: string, reason: string, method: string, path: string, now: number): DeniedEntry {
    this.onRecord?.(origin, reason);
    const key = `${reason}\n${origin.length > MAX_VALUE ? origin.slice(0, MAX_VALUE) : origin}`;
    let entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key);
      entry.count++;
      entry.lastSeen = now;
      entry.sampleMethod = clip(method);
      entry.samplePath = clip(path);
    } else {
      if (this.entries.size >= this.capacity) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
        this.evicted++;
      }
      entry = {
        origin: clip(origin),
        reason,
        count: 1,
        firstSeen: now,
        lastSeen: now,
        sampleMethod: clip(method),
        samplePath: clip(path),
        loggedAt: 0,
        suppressed: 0,
      };
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** Most recent first. */
  list(limit = this.capacity): DeniedEntry[] {
    const all = [...this.entries.values()];
    all.reverse();
    return all.slice(0, limit);
  }
}

export function viewDenied(entries: readonly DeniedEntry[]): DeniedView[] {
  return entries.map((e) => ({
    origin: e.origin,
    reason: e.reason,
    count: e.count,
    firstSeen: new Date(e.firstSeen).toISOString(),
    lastSeen: new Date(e.lastSeen).toISOString(),
    sampleMethod: e.sampleMethod,
    samplePath: e.samplePath,
  }));
}

/**
 * Merges tables from several workers: counts add, first/last seen widen, the latest sample wins.
 */
export function mergeDenied(lists: readonly DeniedView[][], limit: number): DeniedView[] {
  const byKey = new Map<string, DeniedView>();
  for (const list of lists)
    for (const e of list) {
      const key = `${e.reason}\n${e.origin}`;
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, { ...e });
      else {
        seen.count += e.count;
        if (e.firstSeen < seen.firstSeen) seen.firstSeen = e.firstSeen;
        if (e.lastSeen > seen.lastSeen) {
          seen.lastSeen = e.lastSeen;
          seen.sampleMethod = e.sampleMethod;
          seen.samplePath = e.samplePath;
        }
      }
    }
  return [...byKey.values()].sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : -1)).slice(0, limit);
}
