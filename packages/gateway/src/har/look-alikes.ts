/**
 * Failures that look like CORS but are not (docs/failures.md "Not CORS"): the console says
 * "blocked" or "CORS request did not succeed", yet no response header would help. Recognised from
 * what a HAR records: the browser's error text, the schemes and addresses of page and target, a
 * preflight answered with a redirect.
 */
import { getHeader } from '../browser-model/index.js';
import { isLocalAddress } from '../browser-model/local-network.js';
import type { ClassId } from '../catalogue/classes.js';
import type { Attempt } from './pair.js';
import type { HarEngine } from './read.js';

/** The catalogue's `not-cors` classes, and a redirected preflight (docs/failures.md). */
export type LookAlikeId = Extract<
  ClassId,
  | 'local-network-access'
  | 'mixed-content'
  | 'blocked-by-client'
  | 'network-error'
  | 'preflight-redirect'
  | 'third-party-cookies'
>;

export interface LookAlike {
  readonly id: LookAlikeId;
  /** What the file shows, in one sentence. */
  readonly message: string;
  /** How sure: `certain` when the browser said so, `likely` when read from addresses. */
  readonly certainty: 'certain' | 'likely';
}

const LNA_ERRORS = /LOCAL_NETWORK|PRIVATE_NETWORK/;
const LNA_CORS = /LocalNetwork|PrivateNetwork/;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function localNetwork(attempt: Attempt, engine: HarEngine): LookAlike | undefined {
  const { actual, preflight } = attempt;
  const said = [actual, preflight].find(
    (e) => e !== undefined && (LNA_ERRORS.test(e.error ?? '') || LNA_CORS.test(e.corsError ?? '')),
  );
  if (said !== undefined)
    return {
      id: 'local-network-access',
      certainty: 'certain',
      message: `Chromium blocked the request by its Local Network Access checks (${said.error ?? said.corsError}): a page from a more public address space reached for ${hostOf(said.url) ?? said.url}, a loopback or private address`,
    };
  const target = actual ?? preflight!;
  const host = hostOf(target.url);
  const page = hostOf(attempt.origin);
  const unanswered = target.status === 0 && (preflight === undefined || preflight.status === 0);
  if (engine !== 'chromium' && engine !== 'unknown') return undefined;
  if (!unanswered || host === undefined || page === undefined) return undefined;
  if (!isLocalAddress(host, target.serverIp) || isLocalAddress(page, undefined)) return undefined;
  return {
    id: 'local-network-access',
    certainty: 'likely',
    message: `the page ${attempt.origin} reached for ${host}, a loopback or private address, and got no response: Chromium's Local Network Access checks stop such a request unless the page is a secure context and the user allowed it`,
  };
}

function mixedContent(attempt: Attempt): LookAlike | undefined {
  const target = attempt.actual ?? attempt.preflight!;
  if (target.status !== 0 || !attempt.origin.startsWith('https:') || !target.url.startsWith('http:'))
    return undefined;
  const host = hostOf(target.url) ?? '';
  // Potentially trustworthy hosts (loopback) are not mixed content (W3C Mixed Content, section 4.3).
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host.startsWith('127.'))
    return undefined;
  return {
    id: 'mixed-content',
    certainty: 'certain',
    message: `the https page ${attempt.origin} requested the http URL ${target.url}; browsers block such mixed content before it is sent`,
  };
}

function networkError(attempt: Attempt, engine: HarEngine): LookAlike | undefined {
  for (const e of [attempt.preflight, attempt.actual]) {
    if (e === undefined || e.status !== 0) continue;
    const error = e.error ?? '';
    if (error === 'net::ERR_BLOCKED_BY_CLIENT')
      return {
        id: 'blocked-by-client',
        certainty: 'certain',
        message: `the browser itself cancelled ${e.method} ${e.url} (${error}): an extension (ad or privacy blocker) or a policy blocked it`,
      };
    if (/^net::ERR_/.test(error) && error !== 'net::ERR_FAILED' && e.corsError === undefined)
      return {
        id: 'network-error',
        certainty: 'certain',
        message: `${e.method} ${e.url} failed at the network level (${error}): no server answered, so there are no headers to judge`,
      };
    // Firefox keeps a refused response with its status and headers: none at all means none came
    // (unless an answered preflight stopped the request before it was sent).
    const preflightAnswered = attempt.preflight !== undefined && attempt.preflight.status > 0;
    const unanswered = e === attempt.preflight || (engine === 'firefox' && !preflightAnswered);
    if (error === '' && e.corsError === undefined && e.responseHeaders.size === 0 && unanswered)
      return {
        id: 'network-error',
        certainty: 'likely',
        message: `${e === attempt.preflight ? 'the preflight OPTIONS' : e.method} ${e.url} got no response at all: the connection was refused, reset or timed out, or the browser blocked it`,
      };
  }
  return undefined;
}

function preflightRedirect(attempt: Attempt): LookAlike | undefined {
  const p = attempt.preflight;
  if (p === undefined) return undefined;
  // Chromium's error for a redirected preflight, kept even when the 3xx itself is not exported.
  if (p.status === 0 && p.error === 'net::ERR_INVALID_REDIRECT')
    return {
      id: 'preflight-redirect',
      certainty: 'certain',
      message: `the preflight was answered with a redirect (${p.error}); browsers never follow a redirect on a preflight, whatever its CORS headers`,
    };
  if (p.status < 300 || p.status > 399) return undefined;
  return {
    id: 'preflight-redirect',
    certainty: 'certain',
    message: `the preflight was answered ${p.status}${getHeader(p.responseHeaders, 'location') === null ? '' : ` to ${getHeader(p.responseHeaders, 'location')}`}; browsers never follow a redirect on a preflight, whatever its CORS headers`,
  };
}

/**
 * Safari and Firefox block third-party cookies by default: a credentialed cross-site request
 * passes CORS, yet arrives without its cookie and the API answers 401/403. Only recognisable when
 * the file keeps Cookie (Chromium's default export strips it).
 */
function thirdPartyCookies(
  attempt: Attempt,
  engine: HarEngine,
  credentialsPass: boolean,
): LookAlike | undefined {
  const a = attempt.actual;
  if (a === undefined || !credentialsPass || (a.status !== 401 && a.status !== 403)) return undefined;
  if (engine !== 'firefox' && engine !== 'safari') return undefined;
  if (a.requestHeaders.has('cookie')) return undefined;
  return {
    id: 'third-party-cookies',
    certainty: 'likely',
    message: `the response allows credentials for ${attempt.origin}, yet the request carried no Cookie and the API answered ${a.status}: ${engine === 'safari' ? 'Safari' : 'Firefox'} keeps third-party cookies from cross-site requests`,
  };
}

/** The look-alike this attempt shows, if any; checked before any CORS header is judged. */
export function lookAlike(
  attempt: Attempt,
  engine: HarEngine,
  credentialsPass: boolean,
): LookAlike | undefined {
  return (
    localNetwork(attempt, engine) ??
    preflightRedirect(attempt) ??
    mixedContent(attempt) ??
    networkError(attempt, engine) ??
    thirdPartyCookies(attempt, engine, credentialsPass)
  );
}
