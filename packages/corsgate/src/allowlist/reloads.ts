/**
 * What an allowlist source remembers of its reloads for `status()` (docs/allowlist.md), and the
 * outcomes every source records alike: a version applied, unchanged, or rejected whole. One place,
 * so the file watcher and every other source (docs/sources.md) report a reload the same way.
 */
import type { AllowlistEvent, AllowlistIssue, AllowlistStatus } from './types.js';

export class ReloadRecord {
  lastReloadAt = 0;
  lastReloadResult: AllowlistStatus['lastReloadResult'] = 'applied';
  lastErrors: readonly AllowlistIssue[] = [];
  /** The hash of the last version rejected: the same bytes again are refused without a new parse. */
  lastRejectedHash: string | undefined;
  lastReadError: { code: string; message: string } | undefined;
  reloadsApplied = 0;
  reloadsRejected = 0;

  /** The reload fields of `status()`, in the order the status has always listed them. */
  status(): Pick<
    AllowlistStatus,
    | 'lastReloadAt'
    | 'lastReloadResult'
    | 'lastErrors'
    | 'lastReadError'
    | 'reloadsApplied'
    | 'reloadsRejected'
  > {
    return {
      lastReloadAt: this.lastReloadAt,
      lastReloadResult: this.lastReloadResult,
      lastErrors: this.lastErrors,
      ...(this.lastReadError === undefined ? {} : { lastReadError: this.lastReadError }),
      reloadsApplied: this.reloadsApplied,
      reloadsRejected: this.reloadsRejected,
    };
  }

  /** A version was applied: the errors of earlier versions no longer stand. */
  applied(): void {
    this.lastReloadResult = 'applied';
    this.cleared();
    this.reloadsApplied++;
  }

  /** The version in force came again: nothing changes but the errors of earlier versions are gone. */
  unchanged(): void {
    this.lastReloadResult = 'unchanged';
    this.cleared();
  }

  /** A version was rejected whole; the last good version stays (fail closed, never half a list). */
  rejected(errors: readonly AllowlistIssue[], hash: string): AllowlistEvent {
    this.lastReloadResult = 'rejected';
    this.lastErrors = Object.freeze([...errors]);
    this.lastRejectedHash = hash;
    this.reloadsRejected++;
    return { type: 'rejected', errors: this.lastErrors };
  }

  private cleared(): void {
    this.lastErrors = [];
    this.lastRejectedHash = undefined;
  }
}
