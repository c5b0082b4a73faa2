/** Small HTTP helpers of the admin listener: answers with its fixed security headers, bounded bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AdminAnswerCode, httpStatusOf } from '../config/codes.js';

/**
 * Sent on every admin answer. No `Access-Control-*` header is ever sent (the admin listener
 * answers no cross-origin browser request, docs/console.md "Security"); the page may not be
 * framed, sniffed, or read by another origin.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Not no-referrer: with it Chromium sends `Origin: null` on the console's own form posts.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  extra: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/**
 * An admin refusal: `{error, code}` and the status the code carries in the gateway's registry
 * (docs/errors.md "Admin API codes"), never a status picked at the call site.
 */
export function sendProblem(
  res: ServerResponse,
  code: AdminAnswerCode,
  error: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, httpStatusOf(code), { error, code, ...body }, headers);
}

/** The 401 of a request that needs a token and has none (or a wrong one). */
export function sendUnauthorized(res: ServerResponse): void {
  sendProblem(
    res,
    'CG_GATEWAY_ADMIN_UNAUTHORIZED',
    'a valid admin token is required: Authorization: Bearer TOKEN',
    {},
    { 'WWW-Authenticate': 'Bearer realm="corsgate-admin"' },
  );
}

/** The version a write expects: none (absent, `*` or an empty form field), a number, or malformed. */
export type ExpectedVersion =
  | { readonly ok: true; readonly version: number | undefined }
  | { readonly ok: false };

/**
 * The one rule for versions (docs/console.md "Writes"), for `If-Match` on every write and
 * promotion and for the console forms' `version` field: `"7"`, `7` or `W/"7"` → 7; absent, empty
 * or `*` → no expectation; anything else is malformed and the write is refused (400), never
 * treated as absent.
 */
export function expectedVersion(value: string | null | undefined): ExpectedVersion {
  if (value === undefined || value === null || value.trim() === '' || value.trim() === '*')
    return { ok: true, version: undefined };
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(value);
  return m === null ? { ok: false } : { ok: true, version: Number(m[1]) };
}

/** The answer to a malformed version, the same from the API and the console. */
export const MALFORMED_VERSION = 'If-Match (or the form\'s version) must be a version: "7"';

/** Cookie value by name, from the `Cookie` header. */
export function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
