/**
 * Every origin browsers sent, allowed or refused, with counts (docs/console.md "suggest"): what
 * `corsgate suggest` turns into a proposed list, the way off `*`. Bounded like the denied table:
 * a fixed capacity, the origin seen least recently evicted first; values clipped. A hit only
 * bumps counters (no reordering on the request path); order is restored when read.
 */

export interface SeenEntry {
  origin: string;
  allowed: number;
  refused: number;
  firstSeen: number;
  lastSeen: number;
}

export interface SeenView {
  readonly origin: string;
  readonly allowed: number;
  readonly refused: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
}

const MAX_VALUE = 256;

export class SeenOrigins {
  private readonly entries = new Map<string, SeenEntry>();
  evicted = 0;

  constructor(readonly capacity = 10_000) {}

  record(origin: string, allowed: boolean, now: number): void {
    let entry = this.entries.get(origin);
    if (entry === undefined) {
      if (this.entries.size >= this.capacity) this.evictOldest();
      entry = { origin: origin.slice(0, MAX_VALUE), allowed: 0, refused: 0, firstSeen: now, lastSeen: now };
      this.entries.set(origin, entry);
    }
    if (allowed) entry.allowed++;
    else entry.refused++;
    entry.lastSeen = now;
  }

  /** Most recently seen first. */
  list(limit = this.capacity): SeenView[] {
    return [...this.entries.values()]
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .slice(0, limit)
      .map((e) => ({
        origin: e.origin,
        allowed: e.allowed,
        refused: e.refused,
        firstSeen: new Date(e.firstSeen).toISOString(),
        lastSeen: new Date(e.lastSeen).toISOString(),
      }));
  }

  private evictOldest(): void {
    let oldest: SeenEntry | undefined;
    for (const e of this.entries.values())
      if (oldest === undefined || e.lastSeen < oldest.lastSeen) oldest = e;
    if (oldest !== undefined) {
      this.entries.delete(oldest.origin);
      this.evicted++;
    }
  }
}
