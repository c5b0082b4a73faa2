/**
 * The candidate list as the console shows it: whose decision it would change. Below `server/`,
 * which evaluates the candidate beside the list in force, and `admin/`, which shows it.
 */
import type { AllowlistIssue } from 'corsgate/allowlist';

export interface CandidateDifference {
  readonly origin: string;
  readonly inForce: 'allowed' | 'refused';
  readonly candidate: 'allowed' | 'refused';
  readonly count: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly sampleMethod: string;
  readonly samplePath: string;
  /** Known from the origins seen before the candidate was staged (no request sample of its own yet). */
  readonly seenBefore?: true;
}

export interface CandidateView {
  /** `staged` (through the API) or the file given with --candidate-allowlist. */
  readonly source: string;
  readonly entries: number;
  readonly errors: readonly AllowlistIssue[];
  readonly differences: readonly CandidateDifference[];
}
