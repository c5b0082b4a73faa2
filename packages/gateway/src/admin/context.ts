/**
 * What every admin route is handed, and what it may ask of the process behind the listener: the
 * backend (one process, or the cluster primary asking its workers) and the request's context
 * after the listener's checks. Below `admin.ts`, `api.ts` and `console/routes.ts`, so the three
 * import it and never each other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AllowlistIssue, AllowlistSnapshot } from 'corsgate/allowlist';
import type { AdminBodies } from './bodies.js';
import type { CandidateView } from './console/candidate-view.js';
import type { AdminAuth } from './guard.js';
import type { Notices } from './notices.js';
import type { ListWrites } from './writes.js';

export interface AdminBackend {
  ready(): Promise<{ ready: boolean; detail: object }>;
  reload(): Promise<object>;
  allowlist(): Promise<object>;
  /**
   * The allowlist view without its entries (the console's reload status): the version in force,
   * the list's own (docs/console.md "Versions"), the same whichever process answers.
   */
  readonly status?: () => Promise<object>;
  denied(limit: number): Promise<object>;
  /**
   * `/denied?scope=fleet`: the refused origins counted by every node sharing this Redis source
   * (docs/sources.md "Fleet view"); absent with a file source.
   */
  readonly fleetDenied?: (limit: number) => Promise<object>;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Writes to the source in force; absent where this process cannot write. */
  readonly writes?: ListWrites;
  /** The version in force, for explain and the console; absent in the cluster primary. */
  readonly snapshot?: () => AllowlistSnapshot;
  /** The candidate list evaluated beside the one in force (docs/console.md "Candidate lists"). */
  readonly candidate?: CandidateControl;
  /** Every origin seen, allowed or refused, with counts (for `corsgate suggest`). */
  origins?(limit: number): Promise<object>;
}

export interface CandidateControl {
  view(): CandidateView | undefined;
  /** The candidate's text, to promote. */
  text(): Promise<string | undefined>;
  /** Stages a text; returns its lint errors (a text with errors is kept, not evaluated). */
  stage(text: string): readonly AllowlistIssue[];
  drop(): void;
  /** After a promotion: nothing differs any more. */
  promoted(): void;
}

/** One admin request, after the checks: who asked (a token name) and from where. */
export interface AdminContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly who: string | undefined;
  readonly address: string;
  readonly backend: AdminBackend;
  readonly auth: AdminAuth;
  /** The listener's bound on request bodies (docs/console.md "Security"). */
  readonly bodies: AdminBodies;
  /** The console's one-time notices, each made from the server's own answer. */
  readonly notices: Notices;
}

/** A route handler: true when it answered. */
export type AdminRoute = (ctx: AdminContext) => boolean;
