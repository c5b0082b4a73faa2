// `ws` deciding each handshake's Origin with corsgate (docs/websocket.md): verifyClient.
import { createServer } from 'node:http';
import { decideHandshake } from 'corsgate/websocket';
import { WebSocketServer } from 'ws';

/** @param {import('corsgate/websocket').PolicySource} source a Policy, or an allowlist watcher/store */
export function startChat(source) {
  const server = createServer();
  const wss = new WebSocketServer({
    server,
    verifyClient: (info, done) => {
      const d = decideHandshake(source, info.req);
      done(d.allowed, d.status, d.message);
    },
  });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  return { server, wss };
}
