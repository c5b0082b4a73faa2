// The bare upstream every proxy forwards to: node:http, a small JSON body, keep-alive.
import { createServer } from 'node:http';

const body = JSON.stringify({ id: 1, name: 'item', tags: ['a', 'b'] });
const server = createServer((req, res) => {
  req.resume();
  // /slow-*: an API that reads the whole body before it answers (slow-bodies.mjs).
  if (req.url.startsWith('/slow-') && !req.complete) {
    req.once('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () =>
  console.log(JSON.stringify({ port: server.address().port })),
);
process.on('SIGTERM', () => process.exit(0));
