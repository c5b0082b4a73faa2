/**
 * The fleet's audit trail (docs/sources.md "One audit trail"): the stream every write script
 * appends to (data.ts), read newest first. Each entry names the node that wrote the version, the
 * versions it went from and to, and the record the writer gave (when, which token, from which
 * address, the diff).
 */
import { auditStreamOf, within } from './data.js';
import { parseRedisSource } from './url.js';
import { withClient } from './write.js';

export interface FleetAuditEntry {
  readonly node: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly hash: string;
  /** The writer's own fields; a record that is not JSON comes back empty, never thrown. */
  readonly record: Readonly<Record<string, unknown>>;
}

/**
 * The newest `limit` entries of the fleet's audit stream, newest first.
 * @throws AllowlistError `CG_ALLOWLIST_UNREACHABLE` when Redis does not answer.
 */
export async function readRedisAudit(
  source: string,
  limit: number,
  options: { readonly timeoutMs?: number } = {},
): Promise<FleetAuditEntry[]> {
  const target = parseRedisSource(source);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const stream = auditStreamOf(target.key);
  const reply = await withClient(target, timeoutMs, (client) =>
    within(client.command(stream, ['XREVRANGE', stream, '+', '-', 'COUNT', String(limit)]), timeoutMs),
  );
  return (reply as unknown[]).map(entryOf);
}

/** One stream entry: `[id, [field, value, …]]` (RESP2) or `[id, {field: value}]` (RESP3). */
function entryOf(raw: unknown): FleetAuditEntry {
  const fieldsRaw = (raw as [unknown, unknown])[1];
  const fields = new Map<string, string>();
  if (Array.isArray(fieldsRaw))
    for (let i = 0; i + 1 < fieldsRaw.length; i += 2)
      fields.set(String(fieldsRaw[i]), String(fieldsRaw[i + 1]));
  else if (fieldsRaw !== null && typeof fieldsRaw === 'object')
    for (const [k, v] of Object.entries(fieldsRaw)) fields.set(k, String(v));
  let record: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(fields.get('record') ?? '{}') as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      record = parsed as Record<string, unknown>;
  } catch {
    // Not written by corsgate: shown with the fields the script itself wrote.
  }
  return {
    node: fields.get('node') ?? '',
    fromVersion: Number(fields.get('from') ?? 0),
    toVersion: Number(fields.get('to') ?? 0),
    hash: fields.get('hash') ?? '',
    record,
  };
}
