/**
 * What the client's connection gets when it does not become a WebSocket: the gateway's own small
 * answer, or the upstream's non-101 answer relayed; either way the connection is closed after it
 * (docs/websocket.md "Before the 101").
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectionTokens, isHopByHop } from '../forward/headers.js';

/** After the answer, how long a client that does not close gets before the connection is cut. */
const LINGER_MS = 1_000;

/**
 * Ends the connection after `data`, then reads and drops what the client still sends until it
 * closes (cut after LINGER_MS): closing with unread bytes would reset the connection and could
 * lose the answer on its way.
 */
export function endAndLinger(socket: Duplex, data?: string | Buffer): void {
  if (socket.destroyed) return;
  socket.on('error', () => socket.destroy());
  if (data === undefined) socket.end();
  else socket.end(data);
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** A small JSON answer from the gateway itself, then close. */
export function answerAndClose(socket: Duplex, status: number, message: string): void {
  const body = `${JSON.stringify({ error: message })}\n`;
  endAndLinger(
    socket,
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The upstream's 101 head as the client receives it: status and headers as the upstream sent them. */
export function upgradeHead(res: IncomingMessage): string {
  let head = `HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}\r\n`;
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  return `${head}\r\n`;
}

/**
 * The upstream's answer other than 101, relayed and then closed: its status and end-to-end headers,
 * `Connection: close`, and its body, delimited by the close (RFC 9112 §6.3) unless it had a length.
 */
export function relayAnswer(res: IncomingMessage, client: Duplex): void {
  const raw = res.rawHeaders;
  const listed = connectionTokens(res.headers.connection);
  let head = `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2)
    if (!isHopByHop(raw[i]!.toLowerCase(), listed)) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  client.write(`${head}Connection: close\r\n\r\n`);
  res.on('data', (chunk: Buffer) => {
    if (!client.write(chunk)) {
      res.pause();
      client.once('drain', () => res.resume());
    }
  });
  res.on('end', () => endAndLinger(client));
  // An upstream gone mid-answer takes the client's connection with it at once.
  res.on('close', () => {
    if (!res.complete) client.destroy();
  });
  res.on('error', () => client.destroy());
  client.on('close', () => res.destroy());
}
