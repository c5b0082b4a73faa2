// The ceiling for a node:http preflight responder: 204 with fixed CORS headers for the allowed
// origin, 403 otherwise; no policy, no metrics, no logging.
import { createServer } from 'node:http';

const APP = 'https://app.example.com';
createServer((req, res) => {
  if (req.headers.origin === APP) {
    res.writeHead(204, {
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
      'Content-Length': 0,
    });
  } else res.writeHead(403, { Vary: 'Origin', 'Content-Length': 0 });
  res.end();
}).listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
