/**
 * What to do about a refused request: one sentence per reason, for `onDenied` and the development
 * warning of the middleware (docs/middleware.md "Refusals you can see"). Pure: the decision and the
 * request's origin in, text out.
 */
import type { Decision, MissingItems, ReasonCode } from './decision.js';

/** Reasons that are refusals a developer may want to fix; the others need no report. */
const DENIALS: Partial<Record<ReasonCode, (detail: string, origin: string) => string>> = {
  'origin-not-allowed': (_d, origin) =>
    `add "${origin}" to "origins" (or to the allowlist) if this page should call the API`,
  'origin-malformed': () =>
    'the Origin header is not one a browser sends: a client or proxy rewrote it; send the page’s origin unchanged',
  'origin-multiple': () => 'a client or proxy sent two Origin lines: send exactly one',
  'origin-null': () =>
    'a sandboxed iframe, data: URL or file: page sends "null": serve the page from its own https:// origin',
  'method-not-allowed': (detail) => `add "${detail}" to "methods"`,
  'method-malformed': () => 'Access-Control-Request-Method must be one method name, as browsers send it',
  'headers-not-allowed': (detail) => `add "${detail}" to "requestHeaders"`,
  'headers-malformed': () =>
    'Access-Control-Request-Headers must be a list of header names, as browsers send it',
  'headers-too-large': () =>
    'the page requests more headers than any browser sends: send fewer custom headers',
};

/** The fix for a refused decision, or undefined when the decision is not a refusal to report. */
export function denialFix(decision: Decision, origin: string): string | undefined {
  if (decision.allowed) return undefined;
  if (decision.missing !== undefined) return missingFix(decision.missing);
  return DENIALS[decision.reason]?.(decision.detail ?? '', origin);
}

/**
 * Every missing item in one sentence: `add "PUT" to "methods" and "content-type", "x-id" to
 * "requestHeaders"`, so a migration from `cors` (which allowed every method and echoed every
 * header) is fixed in one edit, not one refusal at a time.
 */
export function missingFix(missing: MissingItems): string {
  const parts: string[] = [];
  if (missing.method !== undefined) parts.push(`"${missing.method}" to "methods"`);
  if (missing.headers.length > 0)
    parts.push(`${missing.headers.map((h) => `"${h}"`).join(', ')} to "requestHeaders"`);
  return `add ${parts.join(' and ')}`;
}
