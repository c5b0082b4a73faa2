// socket.io deciding each handshake's Origin with corsgate (docs/websocket.md): allowRequest
// runs for the first request of every transport, so polling and WebSocket are both covered.
import { createServer } from 'node:http';
import { decideHandshake } from 'corsgate/websocket';
import { Server } from 'socket.io';

/** @param {import('corsgate/websocket').PolicySource} source a Policy, or an allowlist watcher/store */
export function startChat(source) {
  const server = createServer();
  const io = new Server(server, {
    allowRequest: (req, callback) => {
      const d = decideHandshake(source, req);
      callback(d.allowed ? null : d.message, d.allowed);
    },
  });
  io.on('connection', (socket) => socket.on('echo', (text, reply) => reply(text)));
  return { server, io };
}
