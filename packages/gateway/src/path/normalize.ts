/**
 * The request target the gateway decides on is exactly the one it forwards (docs/gateway.md
 * "Paths"). Modelled on Envoy's `normalize_path`, `merge_slashes` and
 * `path_with_escaped_slashes_action`: dot segments are resolved and duplicate slashes merged;
 * percent-encoded unreserved characters are decoded (RFC 3986 §6.2.2.2) so `/%61pi` is `/api`
 * for the route table and for the upstream alike; and whatever would mean one path to one server
 * and another path to the next (an encoded `/` or `\`, a dot segment spelled with `%2e` or
 * hidden behind `;`, a raw backslash, a `#`, a broken escape) is refused, or, for encoded
 * separators and dots when asked, unescaped and then normalised.
 *
 * Pure: no I/O, no node:* imports, so every way in (HTTP/1.1 today, WebSockets and HTTP/2
 * later) calls the same function.
 */

/** What to do with `%2F`, `%5C` and dot segments spelled with `%2E`. */
export type EscapedPathAction = 'reject' | 'unescape';

/** Why a target was refused; stable identifiers, listed in docs/gateway.md "Paths". */
export type TargetProblem =
  | 'target-fragment'
  | 'target-form'
  | 'target-character'
  | 'target-escape'
  | 'target-escaped-separator'
  | 'target-escaped-dot-segment';

export const TARGET_PROBLEMS: Readonly<Record<TargetProblem, string>> = {
  'target-fragment': 'the request target holds a "#": a fragment is never sent by a browser',
  'target-form': 'the request target is neither a path ("/…") nor an absolute http(s) URL',
  'target-character': 'the path holds a space, a control character, a non-ASCII byte or a raw backslash',
  'target-escape': 'the path holds a "%" not followed by two hex digits, or an encoded control character',
  'target-escaped-separator': 'the path holds an encoded "/" or "\\" (%2F, %5C)',
  'target-escaped-dot-segment': 'the path holds a "." or ".." segment spelled with %2E, or followed by ";"',
};

export type NormalizedTarget =
  | { readonly ok: true; readonly path: string; readonly query: string }
  | { readonly ok: false; readonly problem: TargetProblem };

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;

/**
 * Normalises an origin-form (`/p?q`) or absolute-form (`http://h/p?q`) request target.
 * @returns the normalised path and the query (with its `?`, verbatim, or `''`), or the problem
 * @example normalizeTarget('/a//b/./c/../d?x=%2F') // { ok: true, path: '/a/b/d', query: '?x=%2F' }
 * @example normalizeTarget('/api/7%2f..%2fpublic') // { ok: false, problem: 'target-escaped-separator' }
 */
export function normalizeTarget(target: string, escaped: EscapedPathAction = 'reject'): NormalizedTarget {
  if (target.includes('#')) return { ok: false, problem: 'target-fragment' };
  let start = 0;
  if (target.charCodeAt(0) !== SLASH) {
    start = absoluteFormPathStart(target);
    if (start < 0) return { ok: false, problem: 'target-form' };
    if (start === target.length || target.charCodeAt(start) === 0x3f) {
      // `http://h` and `http://h?q` ask for the root.
      return { ok: true, path: '/', query: target.slice(start) };
    }
  }
  const q = target.indexOf('?', start);
  const end = q < 0 ? target.length : q;
  const query = q < 0 ? '' : target.slice(q);
  for (let i = q < 0 ? end : q; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c < 0x21 || c === 0x7f) return { ok: false, problem: 'target-character' };
  }
  const raw = start === 0 && end === target.length ? target : target.slice(start, end);
  const path = normalizePath(raw, escaped);
  return typeof path === 'string' ? { ok: true, path, query } : { ok: false, problem: path.problem };
}

/** Where the path starts in `http://authority/path`, or -1 when `target` is not absolute-form. */
function absoluteFormPathStart(target: string): number {
  const lower = target.slice(0, 8).toLowerCase();
  const after = lower.startsWith('http://') ? 7 : lower.startsWith('https://') ? 8 : -1;
  if (after < 0) return -1;
  for (let i = after; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === SLASH || c === 0x3f) return i;
  }
  return target.length;
}

/**
 * Normalises a path that starts with `/`. The common case (no `%`, no `/.`, no `//`) is one scan
 * and returns the same string.
 */
export function normalizePath(
  path: string,
  escaped: EscapedPathAction = 'reject',
): string | { problem: TargetProblem } {
  let plain = true;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === BACKSLASH) return { problem: 'target-character' };
    if (
      c === PERCENT ||
      (c === SLASH && (path.charCodeAt(i + 1) === SLASH || path.charCodeAt(i + 1) === DOT))
    )
      plain = false;
    else if (c === 0x3b && path.charCodeAt(i - 1) === DOT) plain = false;
  }
  if (plain) return path;
  const segments = decodeSegments(path, escaped);
  if (!Array.isArray(segments)) return segments;
  return resolveSegments(segments, escaped);
}

interface Segment {
  text: string;
  /** The segment held a `%2E`: if it is a dot segment, only some servers will see one. */
  encodedDot: boolean;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === DOT ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** Splits at `/` (and, when unescaping, at `%2F`/`%5C`), decoding unreserved escapes. */
function decodeSegments(path: string, escaped: EscapedPathAction): Segment[] | { problem: TargetProblem } {
  const segments: Segment[] = [];
  let text = '';
  let encodedDot = false;
  // path[0] is '/': the first segment starts after it.
  for (let i = 1; i <= path.length; i++) {
    const c = i === path.length ? SLASH : path.charCodeAt(i);
    if (c === SLASH) {
      segments.push({ text, encodedDot });
      text = '';
      encodedDot = false;
      if (i === path.length) break;
      continue;
    }
    if (c !== PERCENT) {
      text += path[i];
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { problem: 'target-escape' };
    const v = Number.parseInt(hex, 16);
    i += 2;
    if (v < 0x20 || v === 0x7f) return { problem: 'target-escape' };
    if (v === SLASH || v === BACKSLASH) {
      if (escaped === 'reject') return { problem: 'target-escaped-separator' };
      segments.push({ text, encodedDot });
      text = '';
      encodedDot = false;
    } else if (isUnreserved(v)) {
      text += String.fromCharCode(v);
      if (v === DOT) encodedDot = true;
    } else text += `%${hex.toUpperCase()}`;
  }
  return segments;
}

/** RFC 3986 §5.2.4 remove_dot_segments, plus merged slashes; never climbs above the root. */
function resolveSegments(
  segments: readonly Segment[],
  escaped: EscapedPathAction,
): string | { problem: TargetProblem } {
  const out: string[] = [];
  let trailingSlash = false;
  for (let i = 0; i < segments.length; i++) {
    const { text, encodedDot } = segments[i]!;
    const last = i === segments.length - 1;
    const semicolon = text.indexOf(';');
    const name = semicolon < 0 ? text : text.slice(0, semicolon);
    const dots = name === '.' ? 1 : name === '..' ? 2 : 0;
    if (dots > 0 && (semicolon >= 0 || (encodedDot && escaped === 'reject')))
      return { problem: 'target-escaped-dot-segment' };
    if (dots === 2) out.pop();
    if (dots > 0 || text === '') {
      trailingSlash = last;
      continue;
    }
    out.push(text);
    trailingSlash = false;
  }
  const joined = `/${out.join('/')}`;
  return trailingSlash && out.length > 0 ? `${joined}/` : joined;
}
