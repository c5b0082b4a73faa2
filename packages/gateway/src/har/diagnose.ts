/**
 * One diagnosis per failed cross-origin attempt of a HAR (docs/cli.md "explain --har"): its class
 * (docs/failures.md), what happened, each engine's verdict on the same recorded answer, the fix on
 * any server and on corsgate, and what the file cannot tell.
 */
import {
  addressSpace,
  BROWSERS,
  type Browser,
  getHeader,
  localNetworkAccess,
} from '../browser-model/index.js';
import { classView, type HarClassId } from './classes.js';
import { type LookAlike, lookAlike } from './look-alikes.js';
import { type Attempt, pairAttempts } from './pair.js';
import type { HarEngine, HarFile } from './read.js';
import { needsPreflight, replay, replayAll, type Verdict } from './replay.js';
import { type Classified, type CorsgateFix, classFromChromium, classOfVerdict } from './verdict-class.js';

export type { CorsgateFix } from './verdict-class.js';

export interface EngineVerdict {
  readonly blocked: boolean | null;
  readonly message: string;
}

export interface Diagnosis {
  readonly method: string;
  readonly url: string;
  readonly origin: string;
  /** Entry indexes in log.entries. */
  readonly entry: number | undefined;
  readonly preflightEntry: number | undefined;
  readonly classId: HarClassId;
  readonly title: string;
  /** True when no CORS header can fix it (docs/failures.md "Not CORS"). */
  readonly notCors: boolean;
  readonly message: string;
  readonly engines: Readonly<Record<Browser, EngineVerdict>>;
  /** `sent`: the file shows Cookie or Authorization; `inferred`: only a credentialed request fails so. */
  readonly credentials: 'sent' | 'inferred' | 'none' | 'unknown';
  readonly fix: string;
  readonly corsgate: CorsgateFix;
  readonly unknowns: readonly string[];
}

export interface HarReport {
  readonly engine: HarEngine;
  readonly creator: string;
  readonly entries: number;
  readonly crossOrigin: number;
  readonly diagnoses: readonly Diagnosis[];
  /** What the whole file cannot tell. */
  readonly notes: readonly string[];
}

const STRIPPED_NOTE =
  'Chromium\'s default export ("Export HAR (sanitized)") strips Cookie, Set-Cookie and Authorization: whether a request carried credentials is read from how it failed, not from the file';

function modelEngine(engine: HarEngine): Browser {
  return engine === 'unknown' ? 'chromium' : engine;
}

function carriesCredentials(attempt: Attempt): boolean {
  const h = attempt.actual?.requestHeaders;
  return h !== undefined && (h.has('cookie') || h.has('authorization'));
}

function failedInFile(attempt: Attempt, verdict: Verdict): boolean {
  const { actual, preflight } = attempt;
  if (!verdict.ok) return true;
  if (actual === undefined) return preflight!.status === 0 || preflight!.error !== undefined;
  return actual.status === 0 || actual.error !== undefined;
}

/** Everything the report says about one HAR. */
export function diagnoseHar(har: HarFile): HarReport {
  const attempts = pairAttempts(har.exchanges);
  const diagnoses: Diagnosis[] = [];
  for (const attempt of attempts) {
    const d = diagnoseAttempt(attempt, har.engine);
    if (d !== undefined) diagnoses.push(d);
  }
  const notes: string[] = [];
  const anyCredentials = har.exchanges.some(
    (e) => e.requestHeaders.has('cookie') || e.requestHeaders.has('authorization'),
  );
  if (har.engine === 'chromium' && !anyCredentials) notes.push(STRIPPED_NOTE);
  if (har.engine === 'unknown')
    notes.push('the file does not say which browser wrote it: its requests are judged as Chromium would');
  return {
    engine: har.engine,
    creator: har.creator,
    entries: har.exchanges.length,
    crossOrigin: attempts.length,
    diagnoses,
    notes,
  };
}

function diagnoseAttempt(attempt: Attempt, engine: HarEngine): Diagnosis | undefined {
  const browser = modelEngine(engine);
  const sent = carriesCredentials(attempt);
  const plain = replay(attempt, browser, sent);
  const credentialed = replay(attempt, browser, true);
  const look = lookAlike(attempt, engine, credentialed.ok);
  if (look !== undefined) return lookAlikeDiagnosis(attempt, engine, look);
  if (!failedInFile(attempt, plain)) return undefined;
  // Only a credentialed request fails this way: the browser must have sent one (R13).
  const inferred = !sent && plain.ok && !credentialed.ok;
  const credentials = sent || inferred;
  const verdict = credentials ? credentialed : plain;
  const classified: Classified =
    verdict.ok || verdict.phase === 'no-response'
      ? classFromChromium(attempt, verdict)
      : classOfVerdict(attempt, verdict);
  const view = classView(classified.id);
  const verdicts = replayAll(attempt, credentials);
  return {
    ...where(attempt),
    classId: classified.id,
    title: view.title,
    notCors: view.notCors,
    message: classified.message,
    engines: engineVerdicts(verdicts),
    credentials: sent ? 'sent' : inferred ? 'inferred' : engine === 'chromium' ? 'unknown' : 'none',
    fix: classified.fix ?? view.fix,
    corsgate: classified.corsgate ?? { text: view.corsgate },
    unknowns: unknowns(attempt, browser),
  };
}

function where(attempt: Attempt): Pick<Diagnosis, 'method' | 'url' | 'origin' | 'entry' | 'preflightEntry'> {
  const main = attempt.actual ?? attempt.preflight!;
  return {
    method:
      attempt.actual?.method ?? getHeader(main.requestHeaders, 'access-control-request-method') ?? 'OPTIONS',
    url: main.url,
    origin: attempt.origin,
    entry: attempt.actual?.index,
    preflightEntry: attempt.preflight?.index,
  };
}

function engineVerdicts(verdicts: Record<Browser, Verdict>): Record<Browser, EngineVerdict> {
  const out = {} as Record<Browser, EngineVerdict>;
  for (const b of BROWSERS) {
    const v = verdicts[b];
    if (v.ok) out[b] = { blocked: false, message: 'allows it' };
    else if (v.phase === 'no-response')
      out[b] = { blocked: null, message: `cannot be judged: the file holds no response to the ${v.which}` };
    else if (v.phase === 'preflight')
      out[b] = { blocked: true, message: `blocks the preflight: ${v.step.message}` };
    else out[b] = { blocked: true, message: `blocks the response: ${v.check.message}` };
  }
  return out;
}

function lookAlikeVerdicts(attempt: Attempt, look: LookAlike): Record<Browser, EngineVerdict> {
  const out = {} as Record<Browser, EngineVerdict>;
  for (const b of BROWSERS) {
    if (look.id === 'local-network-access') {
      const host = new URL((attempt.actual ?? attempt.preflight!).url).hostname;
      const target = addressSpace(host, (attempt.actual ?? attempt.preflight!).serverIp);
      const lna = localNetworkAccess(attempt.origin, 'public', target === 'unknown' ? 'loopback' : target, b);
      out[b] = { blocked: lna.applies, message: lna.message };
    } else if (look.id === 'third-party-cookies')
      out[b] = {
        blocked: b !== 'chromium',
        message:
          b === 'chromium'
            ? 'sends third-party cookies unless the user blocks them'
            : 'keeps the cookie from the cross-site request',
      };
    else out[b] = { blocked: true, message: 'fails it the same way, whatever the CORS headers' };
  }
  return out;
}

function lookAlikeDiagnosis(attempt: Attempt, engine: HarEngine, look: LookAlike): Diagnosis {
  const view = classView(look.id);
  return {
    ...where(attempt),
    classId: look.id,
    title: view.title,
    notCors: true,
    message: `${look.message}${look.certainty === 'likely' ? ' (read from the addresses: the file does not say so outright)' : ''}. This is not a CORS failure: no Access-Control-* header can fix it`,
    engines: lookAlikeVerdicts(attempt, look),
    credentials: carriesCredentials(attempt) ? 'sent' : engine === 'chromium' ? 'unknown' : 'none',
    fix: view.fix,
    corsgate: { text: view.corsgate },
    unknowns: unknowns(attempt, modelEngine(engine)),
  };
}

function unknowns(attempt: Attempt, browser: Browser): string[] {
  const out: string[] = [];
  const { actual, preflight } = attempt;
  if (actual === undefined)
    out.push(
      'the file holds the preflight only, not the request it was sent for (the export may have left it out)',
    );
  if (actual !== undefined && preflight === undefined && needsPreflight(attempt, browser))
    out.push(
      'the request needs a preflight but the file holds none: the browser may have used a cached one, or the export left it out; judged on the actual response only',
    );
  if (actual !== undefined && actual.status === 0 && (preflight === undefined || preflight.status > 0))
    out.push(
      "the file holds no response to the request: a blocked request's response is often not exported, so its headers cannot be judged",
    );
  if (preflight !== undefined && preflight.status === 0)
    out.push('the file holds no response to the preflight');
  return out;
}
