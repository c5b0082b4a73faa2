/**
 * What a family of scan probes (scan/preflight-probes.ts, scan/response-probes.ts,
 * scan/websocket-probe.ts) gets from the running scan: the prober, the answers so far, and a way
 * to record a finding with its evidence. Kept apart from run.ts so the families never import it.
 */
import { corsCheck } from '../browser-model/index.js';
import type { Prober, Reply } from '../probe/prober.js';
import type { ExchangeTrace } from '../probe/trace.js';
import type { FindingId } from './findings.js';

export interface ScanContext {
  readonly url: URL;
  readonly prober: Prober;
  /** Records a finding (the first proof of each class is kept). */
  add(id: FindingId, credentials: boolean, message: string, probe: ExchangeTrace): void;
  note(text: string): void;
}

/** An answer to a request that carried this Origin. */
export interface OriginAnswer {
  readonly origin: string;
  readonly answer: Reply;
}

/** A browser would hand this origin the response (without credentials). */
export function allows(answer: Reply, origin: string): boolean {
  return corsCheck(answer.lines, origin, false).ok;
}

/** …and with credentials. */
export function allowsWithCredentials(answer: Reply, origin: string): boolean {
  return corsCheck(answer.lines, origin, true).ok;
}

/** The request's Origin, as evidence in a message. */
export function originOf(answer: Reply): string {
  const o = answer.trace.request.headers.find(([n]) => n.toLowerCase() === 'origin');
  return o === undefined ? 'a request without Origin' : o[1];
}
