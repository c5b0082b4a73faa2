/**
 * Raw HTTP/1.1 over node:net: the exact header lines go out (repeated Origin lines, odd casing), and
 * every response header line comes back unmerged, as a browser's network stack would see it.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Every header line in order, names lower-cased. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  /** Header lines in order; a name may repeat. A `Host` line is added when absent. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
}

/** Sends one request on a fresh connection (`Connection: close`) and reads the whole response. */
export function rawRequest(baseUrl: string, request: RawRequest, timeoutMs = 5000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  const headers = request.headers ?? [];
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) lines.push(`Host: ${url.host}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (request.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(request.body)}`);
  lines.push('Connection: close', '', request.body ?? '');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parse(Buffer.concat(chunks).toString('latin1')));
      } catch (err) {
        reject(err);
      }
    });
    socket.write(lines.join('\r\n'));
  });
}

function parse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`incomplete response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '');
  if (!match) throw new Error(`bad status line: ${statusLine}`);
  const headers = headerLines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  return { status: Number(match[1]), headers, body: text.slice(end + 4) };
}

/** Every value of one header, one entry per line. */
export function headerValues(response: RawResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return response.headers.filter(([n]) => n === lower).map(([, v]) => v);
}

/** The Vary tokens across every Vary line, as sent (case kept, order kept). */
export function varyTokens(response: RawResponse): string[] {
  return headerValues(response, 'vary')
    .flatMap((v) => v.split(','))
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}
