/**
 * The audit log (docs/console.md "Audit"): one JSON line per applied change (when, which token's
 * name, from which address, the versions and the diff), appended to a local file beside the list.
 * Bounded: once it holds twice `capacity` records, it is rewritten atomically with the newest
 * `capacity`, so the file never grows without limit and a reader never sees half a rewrite.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from 'corsgate/allowlist';

export interface AuditDiff {
  /** Lines of the new text that the old one did not have (as many times as they were added). */
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface AuditRecord {
  readonly at: string;
  readonly token: string;
  readonly address: string;
  readonly action: 'add' | 'remove' | 'replace' | 'promote';
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly hash: string;
  readonly diff: AuditDiff;
}

const MAX_LINE_TEXT = 512;

/** A line diff that ignores order: a multiset difference, which is what matters in an allowlist. */
export function diffLines(before: string, after: string): AuditDiff {
  const split = (t: string): string[] =>
    t
      .replace(/^\uFEFF/, '')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim() !== '');
  const counts = new Map<string, number>();
  for (const l of split(before)) counts.set(l, (counts.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of split(after)) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else added.push(l.slice(0, MAX_LINE_TEXT));
  }
  const removed: string[] = [];
  for (const [l, n] of counts) for (let i = 0; i < n; i++) removed.push(l.slice(0, MAX_LINE_TEXT));
  return { added, removed };
}

export class AuditLog {
  private lines = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly capacity = 1000,
  ) {}

  /** Appends one record; trims the file when it holds twice the capacity. */
  append(record: AuditRecord): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.lines < 0) this.lines = (await this.readAll()).length;
      await appendFile(this.path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      this.lines++;
      if (this.lines >= 2 * this.capacity) {
        const kept = (await this.readAll()).slice(-this.capacity);
        await writeFileAtomic(this.path, `${kept.map((r) => JSON.stringify(r)).join('\n')}\n`, 0o600);
        this.lines = kept.length;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Newest first. */
  async list(limit: number): Promise<AuditRecord[]> {
    await this.queue;
    return (await this.readAll()).slice(-limit).reverse();
  }

  private async readAll(): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: AuditRecord[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as AuditRecord);
      } catch {
        // A torn last line (a crash mid-append) is skipped, never fatal.
      }
    }
    return out;
  }
}
