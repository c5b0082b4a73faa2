/**
 * Refusals a developer can see (docs/middleware.md "Refusals you can see"): `onDenied` gets one event
 * per refused CORS request, with what to change; without it, in development (`NODE_ENV` unset or
 * `development`, on a runtime that has `process`) a one-line warning goes to console.warn, at most once a minute for each origin,
 * method and reason, so a 403 preflight is never a mystery and a flood of them never floods the log.
 * Runtime-neutral: `process` is read only if the runtime has one.
 * @internal
 */
import type { Decision, MissingItems, ReasonCode, RequestFacts } from '../engine/decision.js';
import { denialFix } from '../engine/denial.js';

/** One refused CORS request, as `onDenied` receives it. */
export interface DeniedEvent {
  /** `preflight` (answered 403 without calling the application) or `actual`. */
  readonly kind: 'preflight' | 'actual';
  /** The request's `Origin` (several lines joined with `, `). */
  readonly origin: string;
  /** The request's method (`OPTIONS` for a preflight). */
  readonly method: string;
  /** The request path, without its query. */
  readonly path: string;
  /** Why it was refused (docs/engine.md "Reason codes"). */
  readonly reason: ReasonCode;
  /** The refused value: the method, the header name or the origin, when there is one. */
  readonly detail?: string;
  /** A refused preflight from an allowed origin: every item the policy lacks (the method, each header). */
  readonly missing?: MissingItems;
  /** What to change so that it is allowed, if it should be. */
  readonly fix: string;
  /** The whole event as one line, the one the development warning prints. */
  readonly message: string;
}

/** Reports a decision: a no-op unless it refuses a CORS request. */
/** `unloaded`: why the allowlist is not in force (a missing file), said in the fix instead. */
export type DeniedReporter = (
  decision: Decision,
  facts: RequestFacts,
  url: string | undefined,
  unloaded?: string,
) => void;

const WARN_EVERY_MS = 60_000;
const WARN_KEYS_MAX = 1_000;

/**
 * The reporter for `onDenied`, the development warning when it is absent, or undefined (production,
 * test runs) so that the request path checks one property and does nothing more.
 */
export function deniedReporter(
  onDenied: ((event: DeniedEvent) => void) | undefined,
): DeniedReporter | undefined {
  if (onDenied !== undefined)
    return (decision, facts, url, unloaded) => report(decision, facts, url, onDenied, unloaded);
  if (!isDevelopment()) return undefined;
  const warned = new Map<string, number>();
  const warn = (event: DeniedEvent): void => {
    console.warn(`${event.message} (onDenied receives these; NODE_ENV=production silences them)`);
  };
  return (decision, facts, url, unloaded) => {
    // The limit is checked before the event is built: a flood of refusals costs a map lookup each.
    if (decision.allowed || !firstInAMinute(warned, decision, facts)) return;
    report(decision, facts, url, warn, unloaded);
  };
}

/** True, and remembered, when this reason, method and origin have not been warned of in the last minute. */
function firstInAMinute(warned: Map<string, number>, decision: Decision, facts: RequestFacts): boolean {
  // The refused items belong to the key: a refused DELETE after a refused PUT is news, not a repeat.
  const items = decision.missing === undefined ? '' : decision.missing.headers.join(',');
  const key = `${decision.reason} ${facts.method} ${decision.detail ?? ''} ${items} ${originText(facts)}`;
  const now = Date.now();
  const last = warned.get(key);
  if (last !== undefined && now - last < WARN_EVERY_MS) return false;
  if (warned.size >= WARN_KEYS_MAX) warned.clear();
  warned.set(key, now);
  return true;
}

/** The request's `Origin` as one string: several lines joined with `, `. */
function originText(facts: RequestFacts): string {
  return typeof facts.origin === 'string' ? facts.origin : (facts.origin ?? []).join(', ');
}

function report(
  decision: Decision,
  facts: RequestFacts,
  url: string | undefined,
  sink: (event: DeniedEvent) => void,
  unloaded?: string,
): void {
  if (decision.kind !== 'preflight' && decision.kind !== 'actual') return;
  const origin = originText(facts);
  // While the allowlist is not in force every origin is refused: the list is the thing to fix.
  const fix = unloaded ?? denialFix(decision, origin);
  if (fix === undefined) return;
  const path = pathOf(url);
  const what = decision.kind === 'preflight' ? 'preflight' : 'request';
  const detail = decision.detail === undefined ? '' : ` (${decision.detail})`;
  const event: DeniedEvent = {
    kind: decision.kind,
    origin,
    method: facts.method,
    path,
    reason: decision.reason,
    ...(decision.detail === undefined ? {} : { detail: decision.detail }),
    ...(decision.missing === undefined ? {} : { missing: decision.missing }),
    fix,
    message: `corsgate: refused ${what} ${facts.method} ${path} from ${origin}: ${decision.reason}${detail}; fix: ${fix}`,
  };
  try {
    sink(event);
  } catch (error) {
    // The application's callback must not break the request it reports on.
    console.error(error);
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const start = url.startsWith('/') ? 0 : url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const query = url.indexOf('?', start);
  return url.slice(start, query < 0 ? undefined : query);
}

/** `NODE_ENV` unset or `development`, on a runtime that has `process`. */
export function isDevelopment(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  // Workers and Deno deploy have no NODE_ENV to say "production": no process, no default warning.
  if (env === undefined) return false;
  let mode: string | undefined;
  try {
    mode = env['NODE_ENV'];
  } catch {
    // Deno has `process` but throws on reading the environment without --allow-env: no answer
    // is not "development" (test/conformance/runtimes.test.ts runs Deno without it).
    return false;
  }
  return mode === undefined || mode === 'development';
}
