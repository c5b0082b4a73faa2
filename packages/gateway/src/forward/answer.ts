/**
 * The gateway's own small answers (403 refused, 400 target, 408 slow body, 502/503/504 upstream):
 * JSON, never cached, with the decision's CORS headers, so an allowed origin's script reads the
 * real status instead of a CORS error (docs/gateway.md "Upstream failures").
 */
import type { ServerResponse } from 'node:http';
import { appendVary, type Decision } from 'corsgate';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes `body` as JSON with `decision`'s CORS headers; a response already started is cut. */
export function answerJson(
  res: ServerResponse,
  status: number,
  decision: Decision,
  body: object,
  extra?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { ...decision.headers, ...extra };
  const vary = appendVary(undefined, decision.vary);
  if (vary !== undefined) headers['Vary'] = vary;
  headers['Content-Type'] = JSON_TYPE;
  headers['Content-Length'] = Buffer.byteLength(text);
  headers['Cache-Control'] = 'no-store';
  res.writeHead(status, headers);
  res.end(text);
}

/** A JSON answer without CORS headers (a request nothing was decided about). */
export function answerPlainJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
