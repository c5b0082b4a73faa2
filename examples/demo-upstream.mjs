#!/usr/bin/env node
// A tiny JSON API with no CORS of its own, for `npm start`: the gateway goes in front of it.
// Usage: node examples/demo-upstream.mjs [port]   (default 3000; 0 picks a free port)
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
const items = [
  { id: 1, name: 'first item' },
  { id: 2, name: 'second item' },
];

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  const send = (status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    if (body.length < 65_536) body += chunk;
  });
  req.on('end', () => {
    if (url.pathname === '/api/items' && req.method === 'GET') return send(200, items);
    if (url.pathname === '/api/items' && req.method === 'POST') {
      const item = { id: items.length + 1, name: body.slice(0, 100) || 'new item' };
      items.push(item);
      return send(201, item);
    }
    if (url.pathname === '/public/status') return send(200, { status: 'ok', time: new Date().toISOString() });
    if (url.pathname === '/api/whoami')
      return send(200, {
        cookie: req.headers.cookie ?? null,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
      });
    send(404, { error: 'not found', path: url.pathname });
  });
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(JSON.stringify({ msg: 'demo upstream listening', url: `http://127.0.0.1:${actual}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
