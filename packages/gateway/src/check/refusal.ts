/**
 * When the server that refused a preflight is corsgate, it says why (`Corsgate-Refused`,
 * docs/gateway.md "Refused preflights"): `check` then names the refused item and the fix instead of
 * "the origin, method or header, or an auth layer".
 */
import { getHeader, type HeaderLines } from '../browser-model/index.js';
import type { TraceStep } from './trace.js';

export const REFUSED_HEADER = 'corsgate-refused';

/** `reason=method-not-allowed; method=PUT; headers=content-type,x-id` → its fields. */
function parseRefused(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return fields;
}

/**
 * The step naming what corsgate refused and how to allow it, or undefined when the answer carries
 * no `Corsgate-Refused` header (another server, or an auth layer in front of corsgate).
 */
export function corsgateRefusal(lines: HeaderLines, origin: string): TraceStep | undefined {
  const value = getHeader(lines, REFUSED_HEADER);
  if (value === null) return undefined;
  const fields = parseRefused(value);
  const reason = fields.get('reason') ?? 'unknown';
  const method = fields.get('method');
  const headers = (fields.get('headers') ?? '').split(',').filter((h) => h !== '');
  const base = { phase: 'preflight', status: 'fail', header: 'Corsgate-Refused', value } as const;
  if (method !== undefined || headers.length > 0) {
    const items = [
      ...(method === undefined ? [] : [`the method ${method}`]),
      ...(headers.length === 0 ? [] : [`the header${headers.length === 1 ? '' : 's'} ${headers.join(', ')}`]),
    ];
    const fixes = [
      ...(method === undefined ? [] : [`${method} to --methods (policy.methods)`]),
      ...(headers.length === 0 ? [] : [`${headers.join(',')} to --request-headers (policy.requestHeaders)`]),
    ];
    return {
      ...base,
      message: `the server is corsgate and says why (${reason}): its policy does not allow ${items.join(' or ')}`,
      fix: `if it should be allowed, add ${fixes.join(' and ')} and restart corsgate (or the app)`,
    };
  }
  if (reason === 'origin-not-allowed')
    return {
      ...base,
      message: `the server is corsgate and says why: the origin ${origin} is not on its allowlist`,
      fix: `if this page should call the API, add ${origin} to the allowlist (corsgate allowlist add ${origin} --to FILE, or Allow in the admin console)`,
    };
  return {
    ...base,
    message: `the server is corsgate and says why: ${reason} (docs/engine.md "Reason codes")`,
  };
}
