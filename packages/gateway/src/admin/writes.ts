/**
 * Admin writes (docs/console.md "Writes"): add, remove, replace, promote. Each computes the whole
 * new text, lints it exactly as the watcher will (`parseAllowlist` with the gateway's policy), and
 * only a text without errors goes to the source, as one new version, through its compare-and-set.
 * Every applied change is recorded in the audit log.
 */
import type { CorsConfigWithoutOrigins } from 'corsgate';
import { parseOriginPattern } from 'corsgate';
import {
  AllowlistError,
  type AllowlistIssue,
  allowlistHash,
  type ParsedAllowlistResult,
  parseAllowlist,
  parseAllowlistAsync,
} from 'corsgate/allowlist';
import { type AdminAnswerCode, httpStatusOf } from '../config/codes.js';
import {
  type AuditDiff,
  type AuditSink,
  type ListStore,
  type ListText,
  type PendingAudit,
  VersionConflict,
} from '../sources/index.js';
import { issueJson } from '../views/allowlist.js';
import { diffInSlices, editInSlices } from './slices.js';

export type ListChange =
  | { readonly action: 'add' | 'remove'; readonly origin: string }
  | { readonly action: 'replace' | 'promote'; readonly text: string };

export interface Actor {
  readonly token: string;
  readonly address: string;
}

/** What a change would do: the new text and its lint result (the console's preview). */
export interface ChangePreview {
  readonly base: ListText;
  readonly text: string;
  readonly errors: readonly AllowlistIssue[];
  readonly warnings: readonly AllowlistIssue[];
  readonly diff: AuditDiff;
  /** For remove: false when no line lists the origin. */
  readonly found: boolean;
}

/** An HTTP answer of the admin API: status, a stable code and a JSON body. */
export interface WriteAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** An admin refusal as an answer: the status is the one `code` carries in the gateway's registry. */
export function adminAnswer(
  code: AdminAnswerCode,
  error: string,
  body: Record<string, unknown> = {},
): WriteAnswer {
  return { status: httpStatusOf(code), body: { error, code, ...body } };
}

/**
 * A proposed list with errors: 422 with the list's own first code (docs/errors.md "Admin API
 * codes"), each issue with its line and column.
 */
const LIST_HAS_ERRORS = 422;

/** The lines of a proposed list, as the admin API names them in its problem lines. */
const PROPOSED = 'proposed allowlist';
const proposedIssue = (i: AllowlistIssue) => issueJson(PROPOSED, i);

/**
 * The issues of an origin the engine refuses, at the line and column it would have taken: the
 * would-be text is linted whole. Line breaks inside the value become spaces, so one value is
 * always one line and can never smuggle in a second entry.
 */
function refusedAddition(before: string, origin: string, policy: CorsConfigWithoutOrigins): AllowlistIssue[] {
  const oneLine = origin.replace(/[\r\n]/g, ' ');
  const text = before === '' || before.endsWith('\n') ? before : `${before}\n`;
  const lastLine = text.split('\n').length;
  const errors = parseAllowlist(`${text}${oneLine}\n`, policy).errors.filter((i) => i.line === lastLine);
  if (errors.length > 0) return errors;
  const parsed = parseOriginPattern(oneLine.trim());
  return [
    {
      code: parsed.ok ? 'CG_ORIGIN_UNSUPPORTED_PATTERN' : parsed.code,
      severity: 'error',
      line: lastLine,
      column: 1,
      text: oneLine.slice(0, 200),
      message: `corsgate: ${parsed.ok ? 'not an origin' : parsed.reason}`,
    } as AllowlistIssue,
  ];
}

export class ListWrites {
  /** One write at a time in this process: an unconditional write never loses to a concurrent one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: ListStore,
    readonly audit: AuditSink,
    private readonly policy: CorsConfigWithoutOrigins,
    /** Awaited after a version is written, before the answer: the cluster primary makes every worker apply it. */
    private readonly afterWrite: () => Promise<unknown> = async () => undefined,
  ) {}

  /** Lints a whole text as the watcher would. */
  lint(text: string): ReturnType<typeof parseAllowlist> {
    return parseAllowlist(text, this.policy);
  }

  /**
   * The same lint in slices of a few milliseconds, each followed by a turn of the event loop
   * (`setImmediate`: after pending I/O), so traffic never waits on a long list (docs/console.md
   * "Long lists").
   */
  lintSliced(text: string): Promise<ParsedAllowlistResult> {
    return parseAllowlistAsync(text, {
      config: this.policy,
      yieldToEventLoop: () => new Promise((resolve) => setImmediate(resolve)),
    });
  }

  /** The change applied to the text the source holds now, linted; nothing is written. */
  async preview(change: ListChange): Promise<ChangePreview> {
    const base = await this.store.read();
    let text: string;
    let found = true;
    if ('text' in change) text = change.text;
    else {
      try {
        const edit = await editInSlices(base.text, change.action, change.origin);
        text = edit.text;
        found = change.action === 'add' || edit.removed.length > 0;
      } catch (error) {
        if (!(error instanceof AllowlistError)) throw error;
        return {
          base,
          text: base.text,
          errors: refusedAddition(base.text, change.origin, this.policy),
          warnings: [],
          diff: { added: [], removed: [] },
          found,
        };
      }
    }
    const parsed = await this.lintSliced(text);
    return {
      base,
      text,
      errors: parsed.errors,
      warnings: parsed.warnings,
      diff: await diffInSlices(base.text, text),
      found,
    };
  }

  /** Lints and applies one change as one version; `expected` is the If-Match version, if any. */
  apply(change: ListChange, expected: number | undefined, actor: Actor): Promise<WriteAnswer> {
    const run = this.queue.then(() => this.applyNow(change, expected, actor));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(
    change: ListChange,
    expected: number | undefined,
    actor: Actor,
  ): Promise<WriteAnswer> {
    const preview = await this.preview(change);
    const { base } = preview;
    if (base.lost) return sourceLost(base.versionInForce);
    if (expected !== undefined && (expected !== base.version || !base.inForce))
      return conflict(expected, base.version);
    if (preview.errors.length > 0)
      return {
        status: LIST_HAS_ERRORS,
        body: {
          error: 'the list would have errors; nothing was written',
          code: preview.errors[0]!.code,
          issues: preview.errors.map(proposedIssue),
        },
      };
    if (!preview.found)
      return adminAnswer('CG_GATEWAY_ADMIN_NOT_LISTED', 'no line lists this origin', {
        version: base.version,
      });
    if (preview.text === base.text)
      return { status: 200, body: { version: base.version, written: false, added: [], removed: [] } };
    const audit: PendingAudit = {
      at: new Date().toISOString(),
      token: actor.token,
      address: actor.address,
      action: change.action,
      fromVersion: base.version,
      hash: allowlistHash(preview.text),
      diff: preview.diff,
    };
    let version: number;
    try {
      version = await this.store.compareAndSet(base, expected, preview.text, audit);
      await this.afterWrite();
    } catch (error) {
      if (error instanceof VersionConflict) return conflict(error.expected, error.current);
      throw error;
    }
    await this.audit.append({ ...audit, toVersion: version });
    return {
      status: 200,
      body: {
        version,
        previousVersion: base.version,
        written: true,
        added: preview.diff.added,
        removed: preview.diff.removed,
        warnings: preview.warnings.map(proposedIssue),
      },
    };
  }
}

/**
 * The source has lost its text while a version is in force (docs/console.md "When the source has
 * lost its text"): the text the write would be computed from is empty, and the version in force
 * is not held as text (only compiled), so any write would drop every other origin. Refused until
 * the list is restored; the version in force stays and keeps deciding.
 */
function sourceLost(version: number): WriteAnswer {
  return adminAnswer(
    'CG_GATEWAY_ADMIN_SOURCE_LOST',
    `the source no longer holds the list (deleted or wiped); version ${version} stays in force. Restore the list (corsgate allowlist push FILE --to SOURCE), then write again; nothing was written`,
    { version },
  );
}

function conflict(expected: number, current: number): WriteAnswer {
  return adminAnswer(
    'CG_GATEWAY_ADMIN_CONFLICT',
    `the list is at version ${current}, not ${expected}: read it again and retry`,
    { version: current },
  );
}
