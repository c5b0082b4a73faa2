// One hono server on @hono/node-server for a probe:
//   node hono-probe.mjs <none|noop|touch|corsgate|generic> <port>
// `touch` only sets one header on c.res after next(): it isolates what any header change costs there.
// `generic` is corsgate with c.env.outgoing hidden from the app (as on Bun, Deno, workers), so corsgate adds
// its headers to the Response: the adapter's behaviour before it wrote them into the Node head.
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { cors } from 'corsgate/hono';
import { Hono } from 'hono';
import { BODY, CONFIG } from './servers.mjs';

const kind = process.argv[2];
const a = new Hono();
if (kind === 'noop')
  a.use('*', async (_c, next) => {
    await next();
  });
if (kind === 'touch')
  a.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-a', '1');
  });
if (kind === 'corsgate' || kind === 'generic') a.use('*', cors(CONFIG));
a.get('/api/items', (c) => c.body(BODY, 200, { 'Content-Type': 'application/json' }));
const fetch = kind === 'generic' ? (request) => a.fetch(request) : a.fetch;
createServer(getRequestListener(fetch)).listen(Number(process.argv[3]), '127.0.0.1', () =>
  console.log('ready'),
);
