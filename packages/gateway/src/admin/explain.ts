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

/** The first entry whose pattern matches the origin (the one an operator would edit). */
export function matchingEntry(
  snapshot: AllowlistSnapshot,
  origin: string,
): { entry: string; line: number } | null {
  const o = parseSerializedOrigin(origin);
  for (const e of snapshot.entries) {
    if (e.origin === '*') return { entry: e.origin, line: e.line };
    if (o === null) {
      if (origin === 'null' && e.origin === 'null') return { entry: e.origin, line: e.line };
      continue;
    }
    const parsed = parseOriginPattern(e.origin);
    if (!parsed.ok || parsed.pattern.kind !== 'origin') continue;
    const p = parsed.pattern;
    if (p.scheme !== o.scheme) continue;
    if (p.port !== 'any' && p.port !== o.port) continue;
    const hostMatches = p.subdomains ? o.host.endsWith(`.${p.host}`) : o.host === p.host;
    if (hostMatches) return { entry: e.origin, line: e.line };
  }
  return null;
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
