/**
 * The catalogue classes `corsgate scan` probes for (catalogue/classes.ts holds what each one is).
 * The text report, the JSON, the SARIF rules and docs/cli.md's class table are views of them (a
 * test checks the docs).
 */
import { CATALOGUE, type ClassId, type FailureClass } from '../catalogue/classes.js';

export { atLeast, SEVERITIES, type Severity } from '../catalogue/classes.js';

export const FINDING_IDS = [
  'origin-reflected',
  'null-trusted',
  'prefix-match',
  'suffix-match',
  'substring-match',
  'unescaped-dot',
  'special-characters',
  'subdomain-trusted',
  'insecure-origin-trusted',
  'wildcard-with-credentials',
  'preflight-any-method',
  'preflight-any-header',
  'private-network-credentials',
  'vary-missing',
  'errors-without-cors',
  // Issue 24: the classes the field keeps shipping (docs/cli.md "What it finds").
  'preflight-auth',
  'preflight-status',
  'preflight-forwarded',
  'acao-duplicate',
  'refusal-5xx',
  'wildcard-authorization',
  'preflight-vary-missing',
  'max-age-over-cap',
  'preflight-actual-mismatch',
  'acrh-unbounded',
  'acrh-multiline-refused',
  'public-suffix-wildcard',
  'shared-hosting-trusted',
  'private-network-any-origin',
  'origin-not-normalised',
  'host-characters',
  'websocket-any-origin',
] as const satisfies readonly ClassId[];

export type FindingId = (typeof FINDING_IDS)[number];

export const FINDING_CLASSES: Readonly<Record<FindingId, FailureClass>> = Object.fromEntries(
  FINDING_IDS.map((id): [string, FailureClass] => [id, CATALOGUE[id]]),
) as Record<FindingId, FailureClass>;
