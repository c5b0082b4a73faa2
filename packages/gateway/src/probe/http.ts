/**
 * One HTTP exchange exactly as specified, with every response header line kept apart, redirects
 * never followed, and the body discarded. The timeout is a deadline for the whole exchange
 * (connection, status line, headers and body), not an idle timer: a server that trickles its
 * answer a byte at a time is cut off at the deadline like one that never answers
 * (docs/cli.md "corsgate check", `--timeout`).
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeaderPair } from '../browser-model/index.js';
import type { ProbeResponse } from './trace.js';

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

/** A DNS lookup that always answers `address` (curl's --resolve). */
export function fixedLookup(address: string) {
  return (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    const family = address.includes(':') ? 6 : 4;
    if (options.all === true) cb(null, [{ address, family }]);
    else cb(null, address, family);
  };
}

/**
 * Sends one request and waits for the whole answer, at most `deadlineMs` from now.
 * @throws UnreachableError: `ETIMEDOUT` past the deadline, the socket's code otherwise
 */
export function exchange(
  url: URL,
  method: string,
  headers: readonly HeaderPair[],
  deadlineMs: number,
  connect: ConnectOptions = {},
): Promise<ProbeResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // With an array of raw headers node:http adds no Host line itself, so it goes first, as browsers send it.
  const flat: string[] = ['Host', url.host];
  for (const [name, value] of headers) flat.push(name, value);
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const fail = (error: UnreachableError): void => {
      clearTimeout(timer);
      reject(error);
      response?.destroy();
      req.destroy();
    };
    const timer = setTimeout(
      () => fail(new UnreachableError('ETIMEDOUT', `no complete answer within ${deadlineMs} ms`)),
      deadlineMs,
    );
    const req: ClientRequest = send(
      url,
      // An array of [name, value] pairs keeps repeated names and the exact case and order.
      {
        method,
        headers: flat,
        agent: false,
        ...(connect.ca === undefined ? {} : { ca: connect.ca }),
        ...(connect.address === undefined ? {} : { lookup: fixedLookup(connect.address) as never }),
      },
      (res) => {
        response = res;
        res.resume();
        const raw = res.rawHeaders;
        const pairs: HeaderPair[] = [];
        for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: pairs });
        });
        res.on('error', (e) => fail(new UnreachableError('ERR_RESPONSE', e.message)));
        res.on('close', () => {
          if (!res.complete) fail(new UnreachableError('ERR_RESPONSE', 'the answer was cut short'));
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) =>
      fail(new UnreachableError(e.code ?? 'ERR_NETWORK', e.message)),
    );
    req.end();
  });
}
