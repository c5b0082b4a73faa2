// What one property added to an Express response costs (docs/middleware.md "Express"): Express gives
// every response its app's prototype, which leaves each with a hidden class of its own, so V8 builds
// a new class for any property added to one. Three middlewares before the same route, interleaved
// batch by batch as in in-process.mjs: one that sets the CORS headers, the same plus one property on
// `res`, the same plus a WeakMap entry for `res`, and the same plus a `writeHead` wrapper on `res` (how
// corsgate kept `Vary` on Express before).
//   NODE_ENV=production taskset -c 0 node bench/middleware/express-property.mjs
// Environment: MODULE (express; express4), ROUNDS (9), CALLS (20000), BATCH (200).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BODY, ORIGINS } from './servers.mjs';

const MODULE = process.env.MODULE ?? 'express';
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const CALLS = Number(process.env.CALLS ?? 20_000);
const BATCH = Number(process.env.BATCH ?? 200);
const express = (await import(MODULE)).default;

const setHeaders = (req, res) => {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Vary', 'Origin');
};
const entries = new WeakMap();
const MIDDLEWARES = {
  headers: (req, res, next) => {
    setHeaders(req, res);
    next();
  },
  'headers + a property': (req, res, next) => {
    setHeaders(req, res);
    res.corsgateProbe = true;
    next();
  },
  'headers + a WeakMap entry': (req, res, next) => {
    setHeaders(req, res);
    entries.set(res, true);
    next();
  },
  'headers + writeHead wrapper': (req, res, next) => {
    setHeaders(req, res);
    const original = res.writeHead;
    res.writeHead = function (...args) {
      res.writeHead = original;
      return original.apply(this, args);
    };
    next();
  },
};
const apps = Object.entries(MIDDLEWARES).map(([name, middleware]) => {
  const app = express();
  app.use(middleware);
  app.get('/api/items', (_req, res) => {
    res.type('application/json').send(BODY);
  });
  return [name, app];
});

const socket = new Socket();
async function batch(app) {
  const responses = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/api/items';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.headers = { host: '127.0.0.1:3000', origin: ORIGINS[0] };
    const res = new ServerResponse(req);
    responses.push(res);
    app(req, res);
  }
  while (!responses[BATCH - 1].headersSent) await nextTurn();
  return Number(process.hrtime.bigint() - started) / BATCH;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < 20; i++) for (const [, app] of apps) await batch(app);
const extra = Object.fromEntries(apps.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const batches = Object.fromEntries(apps.map(([name]) => [name, []]));
  for (let b = 0; b < CALLS / BATCH; b++)
    for (let j = 0; j < apps.length; j++) {
      const [name, app] = apps[(j + b + round) % apps.length];
      batches[name].push(await batch(app));
    }
  const base = median(batches.headers);
  for (const [name] of apps) extra[name].push(median(batches[name]) - base);
}
console.log(`${MODULE}, ${ROUNDS} rounds of ${CALLS} requests a middleware, median batch of ${BATCH}`);
console.log('| middleware | µs a request more than setting the headers (median, range of rounds) |');
console.log('| :-- | --: |');
for (const [name] of apps) {
  const xs = extra[name];
  console.log(
    `| ${name} | ${(median(xs) / 1000).toFixed(2)} (${(Math.min(...xs) / 1000).toFixed(2)} to ${(Math.max(...xs) / 1000).toFixed(2)}) |`,
  );
}
