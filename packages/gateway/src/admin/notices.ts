/**
 * The console's notices after a change (docs/console.md "Notices"): the form's answer is kept
 * here under a random id, and the redirect (post-redirect-get) carries only that id. The page
 * shows a notice only for an id this process made, once, to the session (or bearer token) that made it, so a link
 * crafted by someone else (`/?done=add&origin=…`, or any id) announces nothing.
 */
import { randomBytes } from 'node:crypto';
import type { AllowlistIssue } from 'corsgate/allowlist';

export interface Notice {
  readonly kind: 'ok' | 'bad' | 'warn';
  readonly text: string;
  readonly issues?: readonly AllowlistIssue[];
}

/** Notices not shown within this long are dropped. */
const NOTICE_MS = 5 * 60_000;
const MAX_NOTICES = 1000;

export class Notices {
  private readonly byId = new Map<string, { notice: Notice; owner: string; expires: number }>();

  /** Keeps a notice for `owner` (a console session, or a bearer token's name); returns the id the redirect carries. */
  put(notice: Notice, owner: string): string {
    const id = randomBytes(18).toString('base64url');
    if (this.byId.size >= MAX_NOTICES) this.byId.delete(this.byId.keys().next().value as string);
    this.byId.set(id, { notice, owner, expires: Date.now() + NOTICE_MS });
    return id;
  }

  /** The notice under `id`, once, and only for the same owner; otherwise nothing. */
  take(id: string | null, owner: string | undefined): Notice | undefined {
    if (id === null || owner === undefined) return undefined;
    const kept = this.byId.get(id);
    if (kept === undefined || kept.owner !== owner) return undefined;
    this.byId.delete(id);
    return kept.expires < Date.now() ? undefined : kept.notice;
  }
}
