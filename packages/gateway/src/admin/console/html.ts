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
