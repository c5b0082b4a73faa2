/**
 * A console message's diagnosis: the engine, the catalogue class, what the server must have
 * answered, and the fix on any server and on corsgate (the allowlist line, the flag with its
 * value). What the message does not say and the fix needs (Firefox never names the page origin
 * nor the refused method), it names as needed, with the flag that gives it or a HAR.
 */
import { CATALOGUE, type ClassId, type FailureClass } from '../catalogue/classes.js';
import {
  type Engine,
  type MessageFacts,
  type MessageReading,
  type NotCors,
  readConsoleMessage,
} from './console-message.js';

/** Facts the operator adds with flags, for what the message does not say. */
export interface GivenFacts {
  readonly origin?: string;
  readonly method?: string;
}

export interface Need {
  /** The fact. */
  readonly fact: 'origin' | 'method';
  /** The flag that gives it. */
  readonly flag: '--origin' | '--method';
  readonly why: string;
}

export interface Diagnosis {
  readonly engine: Engine | null;
  /** The catalogue class (docs/failures.md), or null when the message is not a CORS failure or unknown. */
  readonly classId: ClassId | null;
  readonly title: string;
  /** Classes the engine words the same way; their fix is the same unless said. */
  readonly alsoPossible: readonly ClassId[];
  /** What the message said, with what the flags added. */
  readonly facts: MessageFacts;
  /** Where each fact came from, when not from the message. */
  readonly fromFlags: readonly ('origin' | 'method')[];
  /** The response (or preflight response) the browser needed: header lines and status. */
  readonly expected: readonly string[];
  readonly fix: {
    readonly generic: string;
    readonly corsgate: string;
    /** The allowlist line the request needs (the page origin, or ORIGIN when unknown). */
    readonly allowlistLine: string;
    /** The `serve` flags the request needs, each with its value (`--methods PUT`). */
    readonly flags: readonly string[];
  } | null;
  /** What the fix needs that the message does not say. */
  readonly needs: readonly Need[];
  /** Anything else worth saying (not a CORS problem, an unknown message). */
  readonly notes: readonly string[];
}

const ENGINE_NAMES: Record<Engine, string> = { chromium: 'Chromium', firefox: 'Firefox', webkit: 'WebKit' };

/** Reads the message and diagnoses it. */
export function diagnoseMessage(text: string, given: GivenFacts = {}): Diagnosis {
  return diagnose(readConsoleMessage(text), given);
}

export function diagnose(reading: MessageReading, given: GivenFacts): Diagnosis {
  const fromFlags: ('origin' | 'method')[] = [];
  let facts = reading.facts;
  if (facts.origin === undefined && given.origin !== undefined) {
    facts = { ...facts, origin: given.origin };
    fromFlags.push('origin');
  }
  if (facts.method === undefined && given.method !== undefined) {
    facts = { ...facts, method: normaliseMethod(given.method) };
    fromFlags.push('method');
  }
  const engine = reading.engine ?? null;
  const base = { engine, alsoPossible: [], facts, fromFlags, expected: [], fix: null, needs: [] };
  if ('notCors' in reading) return notCorsDiagnosis(reading.engine, reading.notCors, base);
  if ('unknown' in reading)
    return {
      ...base,
      classId: null,
      title: 'not a CORS failure corsgate knows',
      notes: [
        `the text names no CORS failure class corsgate knows${engine === null ? '' : ` (it looks like ${ENGINE_NAMES[engine]}'s)`}: paste the whole console line, e.g. "Access to fetch at … has been blocked by CORS policy: …" (Chromium), "Cross-Origin Request Blocked: … (Reason: …)" (Firefox), or the line before "… due to access control checks." (WebKit); or a HAR export of the page`,
      ],
    };
  return classDiagnosis(reading.engine, reading.classId, reading.alsoPossible, facts, fromFlags);
}

/** A failure that looks like CORS but is not (docs/failures.md "Not CORS"): no CORS change proposed. */
function notCorsDiagnosis(
  engine: Engine,
  id: NotCors,
  base: Omit<Diagnosis, 'classId' | 'title' | 'notes'>,
): Diagnosis {
  const c = CATALOGUE[id];
  const note =
    id === 'network-error'
      ? `${ENGINE_NAMES[engine]} says "CORS request did not succeed" or "net::ERR_…" when no response came at all (connection refused or reset, DNS, TLS, a blocked port): no CORS header can fix it; check that the server is up at that address (corsgate check URL --origin ORIGIN shows what answers)`
      : `${capitalise(c.meaning)}: no CORS header can fix it. ${capitalise(c.fix)} (docs/failures.md#${id})`;
  return {
    ...base,
    classId: null,
    title:
      id === 'network-error'
        ? 'not a CORS failure: the request got no answer'
        : `not a CORS failure: ${c.title}`,
    notes: [note],
  };
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Browsers upper-case only these six when normalising a method (R7); the rest stay as written. */
function normaliseMethod(method: string): string {
  const upper = method.toUpperCase();
  return ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'].includes(upper) ? upper : method;
}

/** Preflight classes whose corsgate fix must allow the method the request uses. */
const NEEDS_METHOD: ReadonlySet<ClassId> = new Set<ClassId>([
  'method-not-allowed',
  'preflight-status',
  'preflight-redirect',
  'preflight-auth',
]);

function classDiagnosis(
  engine: Engine,
  classId: ClassId,
  alsoPossible: readonly ClassId[],
  facts: MessageFacts,
  fromFlags: readonly ('origin' | 'method')[],
): Diagnosis {
  const c: FailureClass = CATALOGUE[classId];
  const name = ENGINE_NAMES[engine];
  const needs: Need[] = [];
  if (facts.origin === undefined)
    needs.push({ fact: 'origin', flag: '--origin', why: `${name}'s message does not name the page origin` });
  const flags = corsgateFlags(classId, c, facts);
  if (NEEDS_METHOD.has(classId) && facts.method === undefined)
    needs.push({ fact: 'method', flag: '--method', why: `${name}'s message does not name the method` });
  const allowlistLine = facts.origin ?? 'ORIGIN';
  const notes: string[] = [];
  if (alsoPossible.length > 0)
    notes.push(
      `${name} words ${[classId, ...alsoPossible].join(' and ')} alike (Access-Control-Allow-Origin absent or naming another origin); the fix is the same`,
    );
  if (classId === 'acao-missing' && facts.preflight === true)
    notes.push(
      'a corsgate gateway refuses a preflight with 403 and no Access-Control-Allow-Origin also when the origin is listed but the method or a header is not: the preflight response header Corsgate-Refused (network panel) names which, as does corsgate check URL --origin ORIGIN --method M',
    );
  return {
    engine,
    classId,
    title: c.title,
    alsoPossible,
    facts,
    fromFlags,
    expected: expectedAnswer(classId, facts),
    fix: { generic: c.fix, corsgate: corsgateText(c, allowlistLine, flags), allowlistLine, flags },
    needs,
    notes,
  };
}

/** The `serve` flags this request needs: its credentials, its method, its refused header. */
function corsgateFlags(classId: ClassId, c: FailureClass, facts: MessageFacts): string[] {
  const flags: string[] = [];
  const change = c.corsgate.change;
  if (facts.credentials === true || (change.kind === 'flag' && change.flag === '--credentials'))
    flags.push('--credentials');
  if (NEEDS_METHOD.has(classId)) flags.push(`--methods ${facts.method ?? 'METHOD'}`);
  if (classId === 'header-not-allowed')
    flags.push(`--request-headers ${(facts.header ?? 'NAME').toLowerCase()}`);
  return flags;
}

function corsgateText(c: FailureClass, line: string, flags: readonly string[]): string {
  const change = c.corsgate.change;
  const withFlags = flags.length === 0 ? '' : ` ${flags.join(' ')}`;
  if (change.kind === 'allow-origin')
    return `add this line to the allowlist: ${line}${flags.length === 0 ? '' : `, and restart the gateway with${withFlags}`}`;
  if (change.kind === 'flag')
    return `restart the gateway with${withFlags} (a list flag: add to the comma-separated values it has), with ${line} in the allowlist`;
  return `${c.corsgate.text}; in front of the API: corsgate serve --upstream API_URL --allowlist FILE${withFlags}, with the line ${line} in FILE`;
}

/** The answer the browser needed, as header lines (ORIGIN, METHOD, NAME where unknown). */
function expectedAnswer(classId: ClassId, facts: MessageFacts): string[] {
  const origin = facts.origin ?? 'ORIGIN';
  const acao = `Access-Control-Allow-Origin: ${origin}`;
  const creds = facts.credentials === true ? ['Access-Control-Allow-Credentials: true'] : [];
  const preflight =
    facts.preflight === true ? 'the preflight (OPTIONS) response: status 200-299 with' : 'the response:';
  switch (classId) {
    case 'method-not-allowed':
      return [
        'the preflight (OPTIONS) response: status 200-299 with',
        acao,
        `Access-Control-Allow-Methods: ${facts.method ?? 'METHOD'}`,
        ...creds,
      ];
    case 'header-not-allowed':
      return [
        'the preflight (OPTIONS) response: status 200-299 with',
        acao,
        `Access-Control-Allow-Headers: ${(facts.header ?? 'NAME').toLowerCase()}`,
        ...creds,
      ];
    case 'preflight-status':
    case 'preflight-redirect':
    case 'preflight-auth':
      return [
        `the preflight (OPTIONS) response: status 204 (any of 200-299, never a redirect${facts.status === undefined ? '' : `, not ${facts.status}`}) with`,
        acao,
        ...creds,
      ];
    case 'credentials-not-allowed':
    case 'wildcard-with-credentials':
      return [preflight, acao, 'Access-Control-Allow-Credentials: true', 'Vary: Origin'];
    case 'acao-duplicate':
      return [`${preflight} exactly one line`, acao, ...creds];
    default:
      return [preflight, acao, ...creds, 'Vary: Origin'];
  }
}
