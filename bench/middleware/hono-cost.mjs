// Where hono's middleware overhead goes: app.fetch in-process (no sockets), sequentially, for
// no middleware, a no-op async middleware, corsgate and hono/cors; rounds rotate the order and the
// median µs/request per variant is printed. Separates the cost of having any middleware at all
// (hono's async compose path) from corsgate's own work.
//   flock /tmp/corsgate-bench.lock node bench/middleware/hono-cost.mjs

import { cors } from 'corsgate/hono';
import { Hono } from 'hono';
import { cors as honoCors } from 'hono/cors';
import { BODY, CONFIG, HEADERS, MAX_AGE, METHODS, ORIGINS } from './servers.mjs';

const N = Number(process.env.N ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
function app(middleware) {
  const a = new Hono();
  if (middleware) a.use('*', middleware);
  a.get('/api/items', (c) => c.body(BODY, 200, { 'Content-Type': 'application/json' }));
  return a;
}
const variants = {
  none: app(),
  'no-op async middleware': app(async (_c, next) => {
    await next();
  }),
  corsgate: app(cors(CONFIG)),
  'hono/cors': app(
    honoCors({
      origin: ORIGINS,
      credentials: true,
      allowMethods: METHODS,
      allowHeaders: HEADERS,
      maxAge: MAX_AGE,
    }),
  ),
};
const request = () =>
  new Request('http://api.test/api/items', { headers: { Origin: 'https://app.example.com' } });
const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const names = Object.keys(variants);
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    const a = variants[name];
    for (let j = 0; j < 2000; j++) await a.fetch(request());
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < N; j++) {
      const res = await a.fetch(request());
      if (
        j === 0 &&
        name !== 'none' &&
        name !== 'no-op async middleware' &&
        res.headers.get('access-control-allow-origin') !== ORIGINS[0]
      )
        throw new Error(`${name} did not allow the origin`);
    }
    samples[name].push(Number(process.hrtime.bigint() - t0) / N / 1000);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const name of names)
  console.log(`${name}: ${median(samples[name]).toFixed(2)} µs/request (median of ${ROUNDS})`);
