/**
 * One HTTP exchange exactly as specified, with every response header line kept apart
 * (`rawHeaders`), redirects never followed, and the body discarded.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeaderPair } from '../browser-model/index.js';

export interface Exchange {
  readonly status: number;
  /** Every response header line as received: [name, value] in order. */
  readonly headers: readonly HeaderPair[];
  /** node:http rawHeaders, for `headerLinesFromRaw`. */
  readonly raw: readonly string[];
}

export class UnreachableError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** How to reach the server, when not by its name's DNS address and the system's CAs. */
export interface ConnectOptions {
  /** Trusted CA certificates (PEM) for https, e.g. a staging API's private CA. */
  readonly ca?: string;
  /** Connect to this IP address instead of resolving the URL's host (as curl --resolve). */
  readonly address?: string;
}

export function exchange(
  url: URL,
  method: string,
  headers: readonly HeaderPair[],
  timeoutMs: number,
  connect: ConnectOptions = {},
): Promise<Exchange> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const address = connect.address;
  const lookup =
    address === undefined
      ? undefined
      : (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
          const family = address.includes(':') ? 6 : 4;
          if (options.all === true) cb(null, [{ address, family }]);
          else cb(null, address, family);
        };
  // With an array of raw headers node:http adds no Host line itself, so it goes first, as browsers send it.
  const flat: string[] = ['Host', url.host];
  for (const [name, value] of headers) flat.push(name, value);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      // An array of [name, value] pairs keeps repeated names and the exact case and order.
      {
        method,
        headers: flat,
        agent: false,
        timeout: timeoutMs,
        ...(connect.ca === undefined ? {} : { ca: connect.ca }),
        ...(lookup === undefined ? {} : { lookup: lookup as never }),
      },
      (res) => {
        res.resume();
        const raw = [...res.rawHeaders];
        const pairs: HeaderPair[] = [];
        for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: pairs, raw }));
        res.on('error', (e) => reject(new UnreachableError('ERR_RESPONSE', e.message)));
      },
    );
    req.on('timeout', () =>
      req.destroy(new UnreachableError('ETIMEDOUT', `no answer within ${timeoutMs} ms`)),
    );
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(e instanceof UnreachableError ? e : new UnreachableError(e.code ?? 'ERR_NETWORK', e.message)),
    );
    req.end();
  });
}
