// One server of the per-request benchmark: node:http with the corsgate node adapter, its
// allowlist from the source given (a file path or a Redis URL); prints its port to the parent.
import { createServer } from 'node:http';
import { cors } from 'corsgate/node';

const handle = cors({ allowlist: process.argv[2], credentials: true });
await handle.ready;
const server = createServer((req, res) => {
  if (handle(req, res)) return;
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok');
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', (m) => {
  if (m === 'stop') process.exit(0);
});
