/**
 * The audit sink every kind has today (docs/console.md "Audit"): one JSON line per applied change
 * (when, which token's name, from which address, the versions and the diff), appended to a local
 * file. Bounded: once it holds twice `capacity` records, it is rewritten atomically with the
 * newest `capacity`, so the file never grows without limit and a reader never sees half a rewrite.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from 'corsgate/allowlist';
import type { AuditRecord, AuditSink } from './types.js';

export class AuditLog implements AuditSink {
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

  async close(): Promise<void> {
    await this.queue;
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
