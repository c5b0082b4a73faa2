/**
 * From where a replay stopped to a catalogue class (docs/failures.md) and the concrete fix: the
 * method, header names or origin of this request, and the corsgate line or flags that allow it.
 * When the server is corsgate its `Corsgate-Refused` header (docs/gateway.md "Refused
 * preflights") names exactly what its policy lacks.
 */
import { getHeader, parseTokenList } from '../browser-model/index.js';
import type { HarClassId } from './classes.js';
import type { Attempt } from './pair.js';
import type { Verdict } from './replay.js';

/** The fix when the server is corsgate: in words, and as the exact line or flags. */
export interface CorsgateFix {
  readonly text: string;
  readonly allowlistLine?: string;
  readonly flags?: readonly string[];
}

export interface Classified {
  readonly id: HarClassId;
  readonly message: string;
  /** The generic fix for this request, when more precise than the class's. */
  readonly fix?: string;
  readonly corsgate?: CorsgateFix;
}

/** The header names the preflight asked for that its answer does not list (lower case). */
export function missingHeaderNames(attempt: Attempt): string[] {
  const p = attempt.preflight;
  if (p === undefined) return [];
  const asked = (getHeader(p.requestHeaders, 'access-control-request-headers') ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  const listed = parseTokenList(p.responseHeaders, 'access-control-allow-headers');
  const names = listed === null || 'invalid' in listed ? [] : listed.items.map((n) => n.toLowerCase());
  return asked.filter((n) => !names.includes(n));
}

function methodOf(attempt: Attempt): string {
  return (
    attempt.actual?.method ??
    getHeader(attempt.preflight!.requestHeaders, 'access-control-request-method') ??
    'GET'
  );
}

function allowOrigin(origin: string): CorsgateFix {
  return {
    text: `add ${origin} to the allowlist (corsgate allowlist add ${origin} --to FILE, or Allow in the admin console)`,
    allowlistLine: origin,
  };
}

/** `reason=method-not-allowed; method=PUT; headers=x-id` → what corsgate refused, as a class. */
function corsgateRefused(attempt: Attempt): Classified | undefined {
  const value =
    attempt.preflight === undefined ? null : getHeader(attempt.preflight.responseHeaders, 'corsgate-refused');
  if (value === null) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const reason = fields.get('reason') ?? 'unknown';
  const method = fields.get('method');
  const headers = (fields.get('headers') ?? '').split(',').filter((h) => h !== '');
  if (reason === 'origin-not-allowed')
    return {
      id: 'acao-missing',
      message: `the preflight was refused (403) by corsgate, which says why: the origin ${attempt.origin} is not on its allowlist (Corsgate-Refused: ${value})`,
      corsgate: allowOrigin(attempt.origin),
    };
  if (method === undefined && headers.length === 0) return undefined;
  const flags = [
    ...(method === undefined ? [] : ['--methods', method]),
    ...(headers.length === 0 ? [] : ['--request-headers', headers.join(',')]),
  ];
  const items = [
    ...(method === undefined ? [] : [`the method ${method}`]),
    ...(headers.length === 0 ? [] : [`the header${headers.length === 1 ? '' : 's'} ${headers.join(', ')}`]),
  ].join(' and ');
  return {
    id: method === undefined ? 'header-not-allowed' : 'method-not-allowed',
    message: `the preflight was refused (403) by corsgate, which says why: its policy does not allow ${items} (Corsgate-Refused: ${value})`,
    fix: `allow ${items} in the preflight answer`,
    corsgate: {
      text: `start the gateway with ${flags.join(' ')} (also what the policy already allows)`,
      flags,
    },
  };
}

function preflightClass(attempt: Attempt, verdict: Extract<Verdict, { phase: 'preflight' }>): Classified {
  const { step } = verdict;
  const status = attempt.preflight!.status;
  if (step.id === 'methods') {
    const method = methodOf(attempt);
    return {
      id: 'method-not-allowed',
      message: `the preflight answer does not allow ${method}: ${step.message}`,
      fix: `add ${method} to Access-Control-Allow-Methods`,
      corsgate: { text: `start the gateway with --methods ${method}`, flags: ['--methods', method] },
    };
  }
  if (step.id === 'headers') {
    const names = missingHeaderNames(attempt);
    const list = names.length === 0 ? 'NAME' : names.join(',');
    return {
      id: 'header-not-allowed',
      message: `the preflight answer does not allow a request header: ${step.message}`,
      fix: `add ${names.length === 0 ? 'the header' : names.join(', ')} to Access-Control-Allow-Headers`,
      corsgate: {
        text: `start the gateway with --request-headers ${list}`,
        flags: ['--request-headers', list],
      },
    };
  }
  if (
    status === 401 ||
    (status === 403 && getHeader(attempt.preflight!.responseHeaders, 'www-authenticate') !== null)
  )
    return {
      id: 'preflight-auth',
      message: `the preflight was answered ${status} by an authentication layer: a browser never sends credentials on a preflight`,
    };
  if (step.id === 'status') return { id: 'preflight-status', message: step.message };
  return corsClass(
    attempt,
    step.header,
    step.value ?? null,
    `the preflight answer fails the CORS check: ${step.message}`,
  );
}

/** The CORS check's failure (R10, R13) as a class, from the header it stopped at. */
function corsClass(
  attempt: Attempt,
  header: string | undefined,
  value: string | null,
  message: string,
): Classified {
  const origin = attempt.origin;
  if (header === 'Access-Control-Allow-Credentials')
    return {
      id: 'credentials-not-allowed',
      message,
      corsgate: {
        // corsgate refuses credentials for a plain-http origin (CG_ORIGIN_INSECURE_WITH_CREDENTIALS).
        text: origin.startsWith('http:')
          ? `start the gateway with --credentials; ${origin} is plain http, which corsgate never trusts with credentials (CG_ORIGIN_INSECURE_WITH_CREDENTIALS in docs/errors.md): serve the page over https first`
          : 'start the gateway with --credentials',
        flags: ['--credentials'],
      },
    };
  if (value === null) return { id: 'acao-missing', message, corsgate: allowOrigin(origin) };
  if (value.includes(',')) return { id: 'acao-duplicate', message };
  if (value === '*') return { id: 'wildcard-with-credentials', message, corsgate: allowOrigin(origin) };
  return {
    id: 'acao-mismatch',
    message,
    fix: `answer Access-Control-Allow-Origin: ${origin}`,
    corsgate: allowOrigin(origin),
  };
}

/** The class of a replay that stopped at a preflight step or the actual CORS check. */
export function classOfVerdict(
  attempt: Attempt,
  verdict: Exclude<Verdict, { ok: true } | { phase: 'no-response' }>,
): Classified {
  const refused = corsgateRefused(attempt);
  if (refused !== undefined) return refused;
  if (verdict.phase === 'preflight') return preflightClass(attempt, verdict);
  const c = verdict.check;
  return corsClass(attempt, c.header, c.value ?? null, `the response fails the CORS check: ${c.message}`);
}

/** Chromium's DevTools protocol `corsError` names (CorsError in the protocol) → a class. */
const CHROMIUM_CORS_ERRORS: Readonly<Record<string, HarClassId>> = {
  MissingAllowOriginHeader: 'acao-missing',
  PreflightMissingAllowOriginHeader: 'acao-missing',
  AllowOriginMismatch: 'acao-mismatch',
  PreflightAllowOriginMismatch: 'acao-mismatch',
  MultipleAllowOriginValues: 'acao-duplicate',
  PreflightMultipleAllowOriginValues: 'acao-duplicate',
  WildcardOriginNotAllowed: 'wildcard-with-credentials',
  PreflightWildcardOriginNotAllowed: 'wildcard-with-credentials',
  InvalidAllowCredentials: 'credentials-not-allowed',
  PreflightInvalidAllowCredentials: 'credentials-not-allowed',
  MethodDisallowedByPreflightResponse: 'method-not-allowed',
  HeaderDisallowedByPreflightResponse: 'header-not-allowed',
  PreflightInvalidStatus: 'preflight-status',
  PreflightDisallowedRedirect: 'preflight-redirect',
};

/**
 * The file holds no answer to judge: a Chromium file built from the DevTools protocol may still
 * carry the browser's own `corsError`; otherwise the class stays open and the report says so.
 */
export function classFromChromium(attempt: Attempt, verdict: Verdict): Classified {
  const hint = attempt.actual?.corsError ?? attempt.preflight?.corsError;
  const id = hint === undefined ? undefined : CHROMIUM_CORS_ERRORS[hint];
  if (id !== undefined)
    return {
      id,
      message: `the file holds no answer to judge, but Chromium recorded why it blocked the request: ${hint}`,
      ...(id === 'acao-missing' || id === 'acao-mismatch' ? { corsgate: allowOrigin(attempt.origin) } : {}),
    };
  return {
    id: 'unexplained',
    message: verdict.ok
      ? 'the browser reports the request failed, but the recorded answers pass every CORS check: it failed for another reason (cancelled, a service worker, or an answer the export does not show)'
      : `the file holds no response to the ${verdict.phase === 'no-response' ? verdict.which : 'request'}, so the failure cannot be judged from it`,
  };
}
