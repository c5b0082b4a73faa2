/**
 * The list as the console shows it (docs/console.md "Long lists"): one page of lines with their
 * issues, and counts for the whole. Traffic never waits on it: a text that is the version in force
 * is not parsed again (the version's own entries and warnings are used), any other is linted in
 * slices that give the event loop a turn every few milliseconds, and only one page of lines is
 * rendered.
 */
import { AllowlistError, type AllowlistIssue, type AllowlistSnapshot } from 'corsgate/allowlist';
import type { ListWrites } from '../writes.js';
import type { ListState } from './page.js';

/** Lines on one page of the list. */
export const LINES_PER_PAGE = 500;
/** Longest list the page offers to edit whole in a text box; longer ones are edited with PUT /allowlist. */
export const MAX_EDIT_LINES = 5000;

/** The lines `from`..`from + count - 1` (1-based) of a text, and how many lines it has. */
function pageOf(text: string, from: number, count: number): { lines: string[]; total: number } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines: string[] = [];
  let total = 0;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    total++;
    if (total >= from && total < from + count) lines.push(body.slice(start, end));
    start = end + 1;
  }
  return { lines, total };
}

export async function listState(
  writes: ListWrites,
  snapshot: AllowlistSnapshot | undefined,
  requestedFrom: number,
): Promise<Omit<ListState, 'path'>> {
  const list = await writes.store.read();
  // A source that lost its text is no list to show or edit: the caller shows the version in force.
  if (list.lost)
    throw new AllowlistError(
      'CG_ALLOWLIST_MISSING',
      `corsgate: the source no longer holds the list (deleted or wiped); version ${list.versionInForce} stays in force`,
    );
  const fromLine = Number.isSafeInteger(requestedFrom) && requestedFrom > 0 ? requestedFrom : 1;
  const inForce = list.inForce && snapshot !== undefined && snapshot.hash === list.hash;
  const parsed = inForce
    ? { entries: snapshot.entries, warnings: snapshot.warnings, errors: [] as AllowlistIssue[] }
    : await writes.lintSliced(list.text);
  const probe = pageOf(list.text, fromLine, LINES_PER_PAGE);
  // A page past the end shows the last page.
  const from =
    probe.lines.length > 0 || probe.total === 0 ? fromLine : Math.max(1, probe.total - LINES_PER_PAGE + 1);
  const { lines, total } = from === fromLine ? probe : pageOf(list.text, from, LINES_PER_PAGE);
  const last = from + lines.length - 1;
  const entries = new Map<number, string>();
  for (const e of parsed.entries) if (e.line >= from && e.line <= last) entries.set(e.line, e.origin);
  return {
    ...(total <= MAX_EDIT_LINES ? { text: list.text } : {}),
    version: list.version,
    inForce: list.inForce,
    issues: [...parsed.errors, ...parsed.warnings].sort((a, b) => a.line - b.line),
    entryCount: parsed.entries.length,
    entries,
    page: { from, lines, size: LINES_PER_PAGE },
    totalLines: total,
  };
}
