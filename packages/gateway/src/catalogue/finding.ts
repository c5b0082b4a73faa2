/**
 * A finding: one catalogue class a live server was proven to have, with the probe that proved it.
 * `scan` reports them; `check` shows its over-trust probes' findings the same way.
 */
import { corsCheck, getHeader } from '../browser-model/index.js';
import type { Reply } from '../probe/prober.js';
import type { ExchangeTrace } from '../probe/trace.js';
import { CATALOGUE, type ClassId, type Severity } from './classes.js';

export interface Finding {
  readonly id: ClassId;
  readonly severity: Severity;
  readonly title: string;
  /** What this server did, in one sentence. */
  readonly message: string;
  /** Whether the over-trusted origin also got credentials. */
  readonly credentials: boolean;
  /** The request that proved it and the answer. */
  readonly probe: ExchangeTrace;
  readonly impact: string;
  readonly fix: string;
}

/** One Origin to send, and the class of misconfiguration the server shows if it allows it. */
export interface OriginProbe {
  readonly origin: string;
  readonly finding: ClassId;
  /** The trusted origin this look-alike was built from. */
  readonly lookalikeOf?: string;
}

/**
 * The attacker's domain in every look-alike: under `.example`, reserved by RFC 2606, so a probe can
 * never reach or name a real site.
 */
export const ATTACKER_DOMAIN = 'attacker.example';
/** The probe for reflection: an origin no allowlist can contain. */
export const REFLECTION_PROBE = `https://corsgate-scan.${ATTACKER_DOMAIN}`;

/** The finding of class `id`, its severity chosen by whether credentials were allowed. */
export function finding(id: ClassId, credentials: boolean, message: string, probe: ExchangeTrace): Finding {
  const c = CATALOGUE[id];
  return {
    id,
    severity: credentials ? c.severity.credentials : c.severity.anonymous,
    title: c.title,
    message,
    credentials,
    probe,
    impact: c.impact,
    fix: c.fix,
  };
}

/** The finding an origin probe proves: the answer names that origin, which should not be trusted. */
export function originFinding(probe: OriginProbe, answer: Reply): Finding | undefined {
  if (!echoes(answer, probe.origin)) return undefined;
  const credentials = corsCheck(answer.lines, probe.origin, true).ok;
  const of = probe.lookalikeOf === undefined ? '' : ` (built from the trusted ${probe.lookalikeOf})`;
  return finding(
    probe.finding,
    credentials,
    `the server allowed Origin ${probe.origin}${of}${credentials ? ' with credentials' : ''}`,
    answer.trace,
  );
}

/** The response names exactly this origin (not `*`): the server decided for it. */
export function echoes(answer: Reply, origin: string): boolean {
  return (
    getHeader(answer.lines, 'access-control-allow-origin') === origin &&
    corsCheck(answer.lines, origin, false).ok
  );
}
