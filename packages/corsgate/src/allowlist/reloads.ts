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

  /**
   * A version was applied: the errors of earlier versions no longer stand. The first version a
   * source applies (its start) is not a reload and is not counted.
   */
  applied(first: boolean): void {
    this.read('applied');
    this.cleared();
    if (!first) this.reloadsApplied++;
  }

  /** The version in force came again: nothing changes but the errors of earlier versions are gone. */
  unchanged(): void {
    this.read('unchanged');
    this.cleared();
  }

  /** A version was rejected whole; the last good version stays (fail closed, never half a list). */
  rejected(errors: readonly AllowlistIssue[], hash: string): AllowlistEvent {
    this.read('rejected');
    this.lastErrors = Object.freeze([...errors]);
    this.lastRejectedHash = hash;
    this.reloadsRejected++;
    return { type: 'rejected', errors: this.lastErrors };
  }

  /** The same rejected version came again: it is still rejected, and nothing new is recorded. */
  rejectedAgain(hash: string): boolean {
    return this.lastReloadResult === 'rejected' && hash === this.lastRejectedHash;
  }

  /** The version could not be read (missing, unreadable, unreachable): the last good one stays. */
  failed(result: 'missing' | 'unreadable', code: string, message: string): void {
    this.lastReloadAt = Date.now();
    this.lastReloadResult = result;
    this.lastReadError = { code, message };
  }

  /** A version was read: the read error of an earlier attempt no longer stands. */
  private read(result: AllowlistStatus['lastReloadResult']): void {
    this.lastReloadAt = Date.now();
    this.lastReloadResult = result;
    this.lastReadError = undefined;
  }

  private cleared(): void {
    this.lastErrors = [];
    this.lastRejectedHash = undefined;
  }
}
