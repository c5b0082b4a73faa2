/**
 * The audit log (docs/console.md "Audit"): what a change did, as a diff of lines. The records and
 * where they go (an audit sink: the local file today) belong to the source (`sources/`).
 */
import type { AuditDiff } from '../sources/index.js';

export { type AuditDiff, AuditLog, type AuditRecord } from '../sources/index.js';

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
