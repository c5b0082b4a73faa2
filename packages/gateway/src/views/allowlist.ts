/**
 * JSON views of the allowlist state, for GET /allowlist and POST /reload and the admin writes'
 * answers. Below both `server/` and `admin/`, which show them (imports only look down).
 */
import {
  type AllowlistEvent,
  type AllowlistIssue,
  type AllowlistWatcher,
  formatAllowlistIssue,
} from 'corsgate/allowlist';

/**
 * One issue as the admin API shows it: its fields, and as `message` the one problem line the CLI
 * and the logs print. `text` is the parser's excerpt of the line, never more (the file may be a
 * secret behind a symlink).
 * @param file what the lines belong to: the allowlist's path, or a name for a proposed list
 */
export function issueJson(file: string, i: AllowlistIssue): Record<string, unknown> {
  return {
    line: i.line,
    column: i.column,
    code: i.code,
    severity: i.severity,
    text: i.text,
    message: formatAllowlistIssue(i, file),
    ...(i.suggestion === undefined ? {} : { suggestion: i.suggestion }),
  };
}

export function allowlistView(watcher: AllowlistWatcher): object {
  const snap = watcher.status().snapshot;
  return {
    ...allowlistStatusView(watcher),
    entries: snap.entries.map((e) => ({ origin: e.origin, line: e.line })),
  };
}

/** `allowlistView` without the entries: what the console's status needs, cheap for any length. */
export function allowlistStatusView(watcher: AllowlistWatcher): object {
  const s = watcher.status();
  const snap = s.snapshot;
  return {
    path: s.path,
    source: s.kind ?? 'file',
    ready: s.ready !== false,
    staleSince: s.staleSince === undefined ? null : new Date(s.staleSince).toISOString(),
    // A version read but held back as half-written (docs/allowlist.md "The partial-write rule").
    waiting:
      s.waiting === undefined
        ? null
        : {
            reason: s.waiting.reason,
            since: new Date(s.waiting.since).toISOString(),
            until: new Date(s.waiting.until).toISOString(),
            message: s.waiting.message,
          },
    version: snap.version,
    hash: snap.hash,
    loadedAt: new Date(snap.loadedAt).toISOString(),
    entryCount: snap.entries.length,
    warnings: snap.warnings.map((i) => issueJson(s.path, i)),
    lastReload: { at: new Date(s.lastReloadAt).toISOString(), result: s.lastReloadResult },
    lastError:
      s.lastErrors.length > 0 || s.lastReadError !== undefined
        ? {
            ...(s.lastReadError === undefined ? {} : { read: s.lastReadError }),
            issues: s.lastErrors.map((i) => issueJson(s.path, i)),
          }
        : null,
    reloadsApplied: s.reloadsApplied,
    reloadsRejected: s.reloadsRejected,
    mode: s.mode,
  };
}

export function reloadView(event: AllowlistEvent, watcher: AllowlistWatcher): object {
  const base = { result: event.type, version: watcher.current.version, hash: watcher.current.hash };
  switch (event.type) {
    case 'rejected':
      return { ...base, errors: event.errors.map((i) => issueJson(watcher.status().path, i)) };
    case 'missing':
    case 'unreachable':
      return { ...base, error: event.message };
    case 'unreadable':
      return { ...base, error: event.message, code: event.code };
    default:
      return base;
  }
}
