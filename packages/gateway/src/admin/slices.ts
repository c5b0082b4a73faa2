/**
 * The write path's whole-list steps in slices (docs/console.md "Long lists"): an add or a removal
 * on a 100,000-line list normalises every line and diffs every line; done at once that holds
 * traffic up for hundreds of milliseconds. Here each step runs over a slice of lines, then gives
 * the event loop a turn (`setImmediate`: after pending I/O), with the same result as
 * `editAllowlistText` and `diffLines` on the whole text.
 */
import { editAllowlistText } from 'corsgate/allowlist';
import type { AuditDiff } from './audit.js';
import { diffLines } from './audit.js';

/** Lines handled between two turns of the event loop (a few milliseconds). */
const SLICE_LINES = 5000;
/** Texts shorter than this are handled in one step: slicing them gains nothing. */
const ONE_STEP_CHARS = 64 * 1024;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The text's lines without line ends (and without the BOM), as `editAllowlistText` reads them. */
function linesOf(body: string): string[] {
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `editAllowlistText(text, { add | remove: origin })`, a slice of lines at a time. */
export async function editInSlices(
  text: string,
  action: 'add' | 'remove',
  origin: string,
): Promise<{ text: string; removed: string[] }> {
  if (text.length < ONE_STEP_CHARS) return editAllowlistText(text, { [action]: origin });
  // The entry as the list would hold it; throws AllowlistError for one the engine refuses.
  const entry = editAllowlistText('', { add: origin }).added[0] ?? origin;
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom === '' ? text : text.slice(1);
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const lines = linesOf(body);
  const kept: string[] = [];
  const removed: string[] = [];
  let present = false;
  for (let start = 0; start < lines.length; start += SLICE_LINES) {
    const slice = `${lines.slice(start, start + SLICE_LINES).join('\n')}\n`;
    if (action === 'add') present ||= editAllowlistText(slice, { add: entry }).added.length === 0;
    else {
      const edited = editAllowlistText(slice, { remove: origin });
      kept.push(...linesOf(edited.text));
      removed.push(...edited.removed);
    }
    await turn();
  }
  const out = action === 'remove' ? kept : present ? lines : [...lines, entry];
  return { text: out.length === 0 ? bom : `${bom}${out.join(eol)}${eol}`, removed };
}

/** `diffLines(before, after)`, a slice of lines at a time. */
export async function diffInSlices(before: string, after: string): Promise<AuditDiff> {
  if (before.length + after.length < ONE_STEP_CHARS) return diffLines(before, after);
  const split = (t: string): string[] => linesOf(t.replace(/^\uFEFF/, '')).filter((l) => l.trim() !== '');
  const counts = new Map<string, number>();
  const old = split(before);
  for (let i = 0; i < old.length; i++) {
    if (i % SLICE_LINES === 0 && i > 0) await turn();
    counts.set(old[i]!, (counts.get(old[i]!) ?? 0) + 1);
  }
  const added: string[] = [];
  const now = split(after);
  for (let i = 0; i < now.length; i++) {
    if (i % SLICE_LINES === 0 && i > 0) await turn();
    const n = counts.get(now[i]!) ?? 0;
    if (n > 0) counts.set(now[i]!, n - 1);
    else added.push(now[i]!);
  }
  const removed: string[] = [];
  for (const [l, n] of counts) for (let i = 0; i < n; i++) removed.push(l);
  // The same clipping and order as the one-step diff: run it over what differs only.
  return diffLines(removed.join('\n'), added.join('\n'));
}
