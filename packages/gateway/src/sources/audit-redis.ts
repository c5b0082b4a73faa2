/**
 * The fleet's audit trail (docs/sources.md "One audit trail"): with a Redis source, every written
 * version has its entry in one Redis stream, appended by the write script itself, so `GET /audit`
 * on any node shows the whole fleet's changes, each naming the node that made it. The local file
 * stays as this node's copy, and answers when Redis cannot.
 */
import { readRedisAudit } from '@corsgate/redis';
import { AuditLog } from './audit-file.js';
import type { AuditRecord, AuditSink } from './types.js';

const ACTIONS: readonly string[] = ['add', 'remove', 'replace', 'promote'];

export class RedisAuditTrail implements AuditSink {
  private readonly copy: AuditLog;

  constructor(
    private readonly source: string,
    file: string,
  ) {
    this.copy = new AuditLog(file);
  }

  /** The stream's entry was written with the version: only the local copy is left to write. */
  append(record: AuditRecord): Promise<void> {
    return this.copy.append(record);
  }

  /** The fleet's newest records, newest first; this node's copy when Redis does not answer. */
  async list(limit: number): Promise<AuditRecord[]> {
    let entries: Awaited<ReturnType<typeof readRedisAudit>>;
    try {
      entries = await readRedisAudit(this.source, limit, { timeoutMs: 2_000 });
    } catch {
      return this.copy.list(limit);
    }
    return entries.map((entry) => {
      const r = entry.record;
      const diff = r.diff as AuditRecord['diff'] | undefined;
      return {
        at: typeof r.at === 'string' ? r.at : '',
        token: typeof r.token === 'string' ? r.token : '',
        address: typeof r.address === 'string' ? r.address : '',
        action: (ACTIONS.includes(String(r.action)) ? r.action : 'replace') as AuditRecord['action'],
        fromVersion: entry.fromVersion,
        toVersion: entry.toVersion,
        hash: entry.hash,
        diff: {
          added: Array.isArray(diff?.added) ? diff.added.map(String) : [],
          removed: Array.isArray(diff?.removed) ? diff.removed.map(String) : [],
        },
        node: entry.node,
      };
    });
  }

  close(): Promise<void> {
    return this.copy.close();
  }
}
