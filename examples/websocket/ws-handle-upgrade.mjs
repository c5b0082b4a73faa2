// `ws` in noServer mode, deciding in the HTTP server's upgrade event (docs/websocket.md).
import { createServer } from 'node:http';
import { decideHandshake } from 'corsgate/websocket';
import { WebSocketServer } from 'ws';

/** @param {import('corsgate/websocket').PolicySource} source a Policy, or an allowlist watcher/store */
export function startChat(source) {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const d = decideHandshake(source, req);
    if (!d.allowed) {
      socket.end(`HTTP/1.1 ${d.status} Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
  return { server, wss };
}
