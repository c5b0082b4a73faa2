/**
 * The probe client of `scan` and of `check`'s over-trust probes: sends requests one at a time,
 * with the operator's delay between them and a hard cap on their number, and keeps each exchange
 * as the evidence a finding shows.
 */
import type { HeaderLines, HeaderPair } from '../browser-model/index.js';
import { type ConnectOptions, exchange, UnreachableError } from './http.js';
import { type ExchangeTrace, responseLines } from './trace.js';

/**
 * The most requests one prober (one scan) sends, whatever the options: a few dozen, never a flood
 * (32 with one trusted origin; each further one adds about 20 look-alikes).
 */
export const MAX_REQUESTS = 128;

/** An answer the server gave: its status, header lines and the exchange as evidence. */
export interface Reply {
  readonly status: number;
  readonly lines: HeaderLines;
  readonly trace: ExchangeTrace;
}
export type Answer = Reply | { readonly error: string };

export class Prober {
  sent = 0;

  constructor(
    readonly url: URL,
    private readonly delayMs: number,
    readonly timeoutMs: number,
    readonly connect: ConnectOptions,
  ) {}

  /** A GET with these headers (after the `Accept: *\/*` a fetch() sends). */
  get(headers: readonly HeaderPair[], url: URL = this.url): Promise<Answer> {
    return this.send('GET', url, [['Accept', '*/*'], ...headers]);
  }

  /**
   * A preflight as a browser sends it (R9): never credentials, ACRH only when given. `extra` lines
   * go before Origin (a second ACRH line, Access-Control-Request-Private-Network).
   */
  preflight(
    origin: string,
    method: string,
    requestHeaders: string | null,
    extra: readonly HeaderPair[] = [],
  ): Promise<Answer> {
    const headers: HeaderPair[] = [
      ['Accept', '*/*'],
      ['Access-Control-Request-Method', method],
    ];
    if (requestHeaders !== null) headers.push(['Access-Control-Request-Headers', requestHeaders]);
    headers.push(...extra, ['Origin', origin]);
    return this.send('OPTIONS', this.url, headers);
  }

  /**
   * Counts one request sent by other means (a WebSocket handshake) against the same limit and
   * delay. @returns why it may not be sent, or undefined
   */
  async charge(): Promise<string | undefined> {
    if (this.sent >= MAX_REQUESTS) return `the limit of ${MAX_REQUESTS} requests was reached`;
    if (this.sent > 0 && this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.sent++;
    return undefined;
  }

  private async send(method: string, url: URL, headers: readonly HeaderPair[]): Promise<Answer> {
    if (this.sent >= MAX_REQUESTS) return { error: `the limit of ${MAX_REQUESTS} requests was reached` };
    if (this.sent > 0 && this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.sent++;
    const request = { method, url: url.href, headers };
    try {
      const answer = await exchange(url, method, headers, this.timeoutMs, this.connect);
      return { status: answer.status, lines: responseLines(answer), trace: { request, response: answer } };
    } catch (e) {
      const message = e instanceof UnreachableError ? `${e.code}: ${e.message}` : String(e);
      return { error: `${url.host} did not answer: ${message}` };
    }
  }
}
