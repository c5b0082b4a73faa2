/**
 * What a browser sends for a script's request (Fetch Standard): the request itself, or the
 * preflight before it when the method or a header is not CORS-safelisted. Shared by
 * `corsgate explain` and the admin listener's explain form (docs/console.md).
 */
import type { RequestFacts } from 'corsgate';
import { FORBIDDEN_METHODS, isToken, NORMALISED_METHODS } from './fetch-names.js';
import { buildAcrh, type HeaderPair, preflightNeed } from './request-headers.js';

export interface ScriptRequest {
  readonly origin: string;
  readonly method: string;
  /** Headers the script sets with a value: the safelist rules decide. */
  readonly headers: readonly HeaderPair[];
  /** Header names without a value: counted as CORS-unsafe. */
  readonly bareNames: readonly string[];
}

/** `Name` or `Name: value` strings → a script request, or the problems with them. */
export function parseScriptRequest(
  origin: string,
  rawMethod: string,
  headerLines: readonly string[],
): { ok: true; request: ScriptRequest } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (!isToken(rawMethod)) problems.push(`"${rawMethod}" is not an HTTP method token`);
  else if (FORBIDDEN_METHODS.has(rawMethod.toUpperCase()))
    problems.push(`${rawMethod} is a forbidden method that browsers never send`);
  const headers: HeaderPair[] = [];
  const bareNames: string[] = [];
  for (const h of headerLines) {
    const colon = h.indexOf(':');
    const name = (colon < 0 ? h : h.slice(0, colon)).trim();
    if (!isToken(name)) problems.push(`"${name}" is not a header name`);
    else if (colon < 0) bareNames.push(name);
    else headers.push([name, h.slice(colon + 1).trim()]);
  }
  if (problems.length > 0) return { ok: false, problems };
  // R7: the method as the browser sends it.
  const method = NORMALISED_METHODS.has(rawMethod.toUpperCase()) ? rawMethod.toUpperCase() : rawMethod;
  return { ok: true, request: { origin, method, headers, bareNames } };
}

/** The facts the server sees first: the preflight when one is needed, else the request. */
export function scriptRequestFacts(r: ScriptRequest): RequestFacts {
  const need = preflightNeed(r.method, r.headers);
  const unsafe = [...need.unsafeNames, ...r.bareNames.map((n) => n.toLowerCase())];
  const preflight = need.needed || r.bareNames.length > 0;
  return preflight
    ? {
        method: 'OPTIONS',
        origin: r.origin,
        accessControlRequestMethod: r.method,
        ...(unsafe.length > 0 ? { accessControlRequestHeaders: buildAcrh(unsafe)! } : {}),
      }
    : { method: r.method, origin: r.origin };
}
