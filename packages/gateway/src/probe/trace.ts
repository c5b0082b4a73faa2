/**
 * The exchange trace: the record of one probe, as sent and as answered. It holds what a judge of
 * CORS needs and nothing node-specific: the request line (method, URL), the request header lines
 * in order, the response status and every response header line as received (repeated names kept
 * apart, exact case and order). A HAR entry (`request.method`, `request.url`, `request.headers`,
 * `response.status`, `response.headers`, each header `{ name, value }`) converts to one field for
 * field, so what judges a live probe can judge a recorded one.
 */
import { type HeaderLines, type HeaderPair, headerLinesFromRaw } from '../browser-model/index.js';

export interface ProbeRequest {
  readonly method: string;
  readonly url: string;
  /** Every request header line sent, in order (the client adds `Host` first). */
  readonly headers: readonly HeaderPair[];
}

export interface ProbeResponse {
  readonly status: number;
  /** Every response header line as received: [name, value] in order. */
  readonly headers: readonly HeaderPair[];
}

export interface ExchangeTrace {
  readonly request: ProbeRequest;
  /** Absent when no complete answer came (refused, reset, past the deadline). */
  readonly response?: ProbeResponse;
}

/** The response's header lines by lower-case name, for the browser model's checks. */
export function responseLines(response: ProbeResponse): HeaderLines {
  return headerLinesFromRaw(response.headers.flat());
}
