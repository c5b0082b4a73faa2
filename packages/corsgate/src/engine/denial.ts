/**
 * What to do about a refused request: one sentence per reason, for `onDenied` and the development
 * warning of the middleware (docs/middleware.md "Refusals you can see"). Pure: the decision and the
 * request's origin in, text out.
 */
import type { Decision, ReasonCode } from './decision.js';

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
  return DENIALS[decision.reason]?.(decision.detail ?? '', origin);
}
