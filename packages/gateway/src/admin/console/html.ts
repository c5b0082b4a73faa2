/** Escaping for the server-rendered console: every interpolated value goes through `esc`. */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Characters that would change how a stored line looks rather than what it says: C0 and C1
 * controls (a lone CR breaks a `<pre>` line and starts a new one), DEL, the line and paragraph
 * separators, and the bidirectional overrides and isolates.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A stored value shown as data (docs/console.md "What the console shows"): escaped, and each
 * invisible or layout-changing character shown as its code point (`\u000D`), marked, so one line
 * always shows as one line and never as an entry it does not hold.
 */
export function shown(value: unknown): string {
  return esc(value).replace(
    INVISIBLE,
    (c) => `<span class="ctl">\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}</span>`,
  );
}

/**
 * Text for a `<textarea>`: escaped, and a carriage return as a character reference, since the HTML
 * parser turns a literal one into a line feed (a lone CR in a comment would become a new line).
 */
export function textareaText(value: string): string {
  return esc(value).replace(/\r/g, '&#13;');
}

/** A hidden form field. */
export function hidden(name: string, value: string | number): string {
  return `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
}

/** A POST form with one submit button; `label` is the button's accessible name when given. */
export function postButton(
  action: string,
  fields: Record<string, string | number>,
  text: string,
  label?: string,
  cls = '',
): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => hidden(k, v))
    .join('');
  const aria = label === undefined ? '' : ` aria-label="${esc(label)}"`;
  const klass = cls === '' ? '' : ` class="${esc(cls)}"`;
  return `<form method="post" action="${esc(action)}" class="inline">${inputs}<button type="submit"${klass}${aria}>${esc(text)}</button></form>`;
}

export function time(iso: string): string {
  return `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`;
}

/** A table that may scroll sideways on a narrow screen: focusable, so the keyboard can scroll it too. */
export function scrollBox(label: string, inner: string): string {
  return `<div class="box" tabindex="0" role="region" aria-label="${esc(label)}">${inner}</div>`;
}
