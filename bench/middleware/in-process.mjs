// In-process cost of each framework's CORS layer: corsgate against the framework's usual package and
// no CORS, on the same apps (servers.mjs) and the same three requests as the load runs, called as
// node:http would call them, with real `IncomingMessage` and `ServerResponse` objects on sockets that
// were never connected.
// The load runs (run.mjs) measure what a client sees; this one isolates the microseconds the CORS
// layer adds, free of the kernel and wrk, so layers a few per cent of a request apart can be ranked.
//
// The variants are interleaved finely, batch by batch (a batch is BATCH requests, awaited until every
// response has its head), so a garbage collection or a noisy neighbour lands on all three alike; each
// round gives one typical (median) batch per variant, and the layers are compared round by round
// (paired). The saving computed from the means, collections included, is printed beside it.
// Each framework runs in a process of its own, as its server does in the load runs: in one process,
// the other frameworks' responses would make node's own http code see more shapes and slow it.
//   NODE_ENV=production taskset -c 0 node bench/middleware/in-process.mjs
// Environment: FRAMEWORKS (all of servers.mjs), ROUNDS (9), CALLS per variant and round (20000),
// BATCH (200).
import { execFileSync } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildListener, FRAMEWORKS, KINDS, ORIGINS, PEER } from './servers.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const CALLS = Number(process.env.CALLS ?? 20_000);
const BATCH = Number(process.env.BATCH ?? 200);
const frameworks = process.env.FRAMEWORKS ? process.env.FRAMEWORKS.split(',') : FRAMEWORKS;
const VARIANTS = ['none', 'peer', 'corsgate'];

/** One connection for each request of a batch, as each has its own on a server; never connected. */
const sockets = Array.from({ length: BATCH }, () => new Socket());
function requestOf(kind) {
  const { method, headers } = KINDS[kind];
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return (socket = sockets[0]) => {
    const req = new IncomingMessage(socket);
    req.method = method;
    req.url = '/api/items';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    req.headers = { host: '127.0.0.1:3000', 'user-agent': 'wrk', accept: '*/*', ...lower };
    return req;
  };
}

/**
 * A response as node:http builds one for a keep-alive HTTP/1.1 request. Its `socket` is the request's,
 * as on a server (corsgate's Express adapter keeps its state there: docs/middleware.md "Express"); the
 * socket was never connected, so node is not writing to it (`_httpMessage` is unset) and keeps what
 * is written in the response, as for a response waiting for its turn on a connection.
 */
function responseTo(req) {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = true; // as node:http's parser sets it for wrk's HTTP/1.1 requests
  res.socket = req.socket;
  return res;
}

/** Runs `count` requests through the listener and waits until each has written its head; ns taken. */
async function batch(listener, newRequest, count) {
  const responses = new Array(count);
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const req = newRequest(sockets[i]);
    const res = responseTo(req);
    responses[i] = res;
    listener(req, res);
  }
  // Koa, Hono and Fastify finish in promise continuations: wait for the turn to end.
  for (let turns = 0; !responses[count - 1].headersSent; turns++) {
    if (turns === 100) throw new Error('a response never wrote its head');
    await nextTurn();
  }
  const taken = Number(process.hrtime.bigint() - started);
  // What the frameworks hung on the connections for these responses (on-finished's listeners) goes
  // with them, as it does when a real response finishes.
  for (let i = 0; i < count; i++) sockets[i].removeAllListeners();
  for (const res of responses) if (!res.headersSent) throw new Error('a response never wrote its head');
  return taken;
}

/** The head a response wrote, as its status and lower-case header lines. */
function headOf(res) {
  const [statusLine, ...lines] = res._header.trim().split('\r\n');
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

/** Each CORS variant answers each request as the load runs expect before it is timed. */
async function checkAnswers(framework, variant, kind, listener, newRequest) {
  const req = newRequest();
  const res = responseTo(req);
  listener(req, res);
  while (!res.headersSent) await nextTurn();
  sockets[0].removeAllListeners();
  const { status, headers } = headOf(res);
  const allowOrigin = headers['access-control-allow-origin'];
  const ok =
    kind === 'disallowed'
      ? allowOrigin === undefined && status === 200
      : allowOrigin === ORIGINS[0] &&
        (kind === 'preflight' ? status === 204 || status === 200 : status === 200);
  if (!ok || !/\borigin\b/i.test(headers.vary ?? ''))
    throw new Error(`${framework} ${variant} ${kind}: status ${status}, head ${JSON.stringify(headers)}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const average = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const us = (ns) => (ns / 1000).toFixed(2);

async function measureKind(framework, listeners, kind) {
  const newRequest = requestOf(kind);
  for (const variant of ['peer', 'corsgate'])
    await checkAnswers(framework, variant, kind, listeners[variant], newRequest);
  for (let i = 0; i < 20; i++)
    for (const variant of VARIANTS) await batch(listeners[variant], newRequest, BATCH);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batches = { none: [], peer: [], corsgate: [] };
    for (let b = 0; b < CALLS / BATCH; b++)
      for (let j = 0; j < VARIANTS.length; j++) {
        const variant = VARIANTS[(j + b + round) % VARIANTS.length];
        batches[variant].push((await batch(listeners[variant], newRequest, BATCH)) / BATCH);
      }
    // The median batch: a major collection (Express's responses leave garbage hidden classes that
    // trigger one every few thousand requests) lands on whichever variant runs then, not the one that
    // caused it, so the typical batch ranks the layers and the mean is kept beside it.
    const typical = Object.fromEntries(VARIANTS.map((variant) => [variant, median(batches[variant])]));
    const mean = Object.fromEntries(VARIANTS.map((variant) => [variant, average(batches[variant])]));
    rounds.push({
      ...typical,
      peerLayer: typical.peer - typical.none,
      oursLayer: typical.corsgate - typical.none,
      meanSaved: mean.peer - mean.corsgate,
    });
  }
  const won = rounds.filter((r) => r.oursLayer < r.peerLayer).length;
  return {
    framework,
    kind,
    none: median(rounds.map((r) => r.none)),
    peer: median(rounds.map((r) => r.peer)),
    corsgate: median(rounds.map((r) => r.corsgate)),
    peerLayer: median(rounds.map((r) => r.peerLayer)),
    oursLayer: median(rounds.map((r) => r.oursLayer)),
    saved: median(rounds.map((r) => r.peerLayer - r.oursLayer)),
    savedMin: Math.min(...rounds.map((r) => r.peerLayer - r.oursLayer)),
    savedMax: Math.max(...rounds.map((r) => r.peerLayer - r.oursLayer)),
    won,
    meanSaved: median(rounds.map((r) => r.meanSaved)),
  };
}

const HEADER =
  '| framework | request | no CORS µs | peer µs | corsgate µs | peer layer µs | corsgate layer µs | corsgate saves µs (paired median, range) | rounds corsgate cheaper | saves, by means µs |';

if (frameworks.length > 1) {
  console.log(
    `in-process, ${ROUNDS} rounds of ${CALLS} requests a variant, batches of ${BATCH}, interleaved`,
  );
  console.log(HEADER);
  console.log('| :-- | :-- | --: | --: | --: | --: | --: | --: | :-: | --: |');
  let ahead = 0;
  let rows = 0;
  for (const framework of frameworks) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, FRAMEWORKS: framework, ROWS_ONLY: '1' },
      encoding: 'utf8',
    });
    for (const line of out.trim().split('\n')) {
      const row = JSON.parse(line);
      rows++;
      if (row.saved > 0) ahead++;
      console.log(row.text);
    }
  }
  console.log(`\ncorsgate's layer cheaper than the peer's (paired median) on ${ahead} of ${rows} rows`);
} else {
  const [framework] = frameworks;
  const built = Object.fromEntries(
    await Promise.all(VARIANTS.map(async (variant) => [variant, await buildListener(framework, variant)])),
  );
  const listeners = Object.fromEntries(VARIANTS.map((variant) => [variant, built[variant].listener]));
  if (!process.env.ROWS_ONLY) console.log(HEADER);
  for (const kind of Object.keys(KINDS)) {
    const r = await measureKind(framework, listeners, kind);
    const text = `| ${framework} (${PEER[framework]}) | ${kind} | ${us(r.none)} | ${us(r.peer)} | ${us(r.corsgate)} | ${us(r.peerLayer)} | ${us(r.oursLayer)} | ${us(r.saved)} (${us(r.savedMin)} to ${us(r.savedMax)}) | ${r.won}/${ROUNDS} | ${us(r.meanSaved)} |`;
    console.log(process.env.ROWS_ONLY ? JSON.stringify({ saved: r.saved, text }) : text);
  }
  for (const variant of VARIANTS) await built[variant].close();
}
