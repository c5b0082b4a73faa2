/**
 * Rate limits for log lines a client can cause (denials, upstream errors): a flood of requests
 * must not become a flood of log (docs/gateway.md "Logs"). Each line that does get written
 * carries how many were held back since the previous one.
 */

/** At most `perSecond` lines a second, overall. */
export class LineBudget {
  private window = 0;
  private used = 0;
  /** Lines held back by this budget since the last line written. */
  suppressed = 0;

  constructor(private readonly perSecond: number) {}

  /** True when a line may be written now; otherwise counts it as held back. */
  take(now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.window) {
      this.window = second;
      this.used = 0;
    }
    if (this.used >= this.perSecond) {
      this.suppressed++;
      return false;
    }
    this.used++;
    return true;
  }

  /** The held-back count to report on the line being written; resets it. */
  drain(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/**
 * Once per key per interval, within an overall budget. Keys are a small closed set (error codes);
 * past `maxKeys` the oldest is forgotten, so memory stays bounded whatever arrives.
 */
export class KeyedLimiter {
  private readonly keys = new Map<string, { loggedAt: number; suppressed: number }>();
  readonly budget: LineBudget;

  constructor(
    private readonly intervalMs: number,
    perSecond: number,
    private readonly maxKeys = 100,
  ) {
    this.budget = new LineBudget(perSecond);
  }

  /**
   * @returns undefined when the line is held back, else how many lines of this key were held
   *   back since the last one written
   */
  take(key: string, now: number): number | undefined {
    let entry = this.keys.get(key);
    if (entry === undefined) {
      if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
      entry = { loggedAt: -Infinity, suppressed: 0 };
      this.keys.set(key, entry);
    }
    if (now - entry.loggedAt < this.intervalMs || !this.budget.take(now)) {
      entry.suppressed++;
      return undefined;
    }
    const held = entry.suppressed;
    entry.loggedAt = now;
    entry.suppressed = 0;
    return held;
  }
}
