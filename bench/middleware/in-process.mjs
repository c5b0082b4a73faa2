// In-process cost of the node:http handler: corsgate/node against `cors` and no CORS, on the same
// three requests as the load runs, with real `IncomingMessage` and `ServerResponse` objects and no
// socket. The load runs (run.mjs) measure what a client sees; this one isolates the nanoseconds the
// CORS layer adds, free of the kernel and wrk, so two layers within a few per cent can be told apart.
// Each measurement is a bounded loop; variants alternate within each round.
//   NODE_ENV=production taskset -c 0 node bench/middleware/in-process.mjs
// Environment: ROUNDS (5), CALLS per measurement (300000).
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import corsPackage from 'cors';
import { cors } from 'corsgate/node';
import { CONFIG, HEADERS, KINDS, MAX_AGE, METHODS, ORIGINS } from './servers.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CALLS = Number(process.env.CALLS ?? 300_000);

const peer = corsPackage({
  origin: ORIGINS,
  credentials: true,
  methods: METHODS,
  allowedHeaders: HEADERS,
  maxAge: MAX_AGE,
});
const corsgate = cors(CONFIG);
/** The application: a 200 JSON head, written the way `res.end(body)` writes it (no socket to send to). */
const app = (_req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res._implicitHeader();
};
const VARIANTS = {
  none: (req, res) => app(req, res),
  peer: (req, res) => peer(req, res, () => app(req, res)),
  corsgate: (req, res) => {
    if (!corsgate(req, res)) app(req, res);
  },
};

const socket = new Socket();
function requestOf(kind) {
  const { method, headers } = KINDS[kind];
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return () => {
    const req = new IncomingMessage(socket);
    req.method = method;
    req.url = '/api/items';
    req.headers = { host: '127.0.0.1:3000', 'user-agent': 'wrk', accept: '*/*', ...lower };
    return req;
  };
}

function measure(handler, newRequest, calls) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const req = newRequest();
    handler(req, new ServerResponse(req));
  }
  return Number(process.hrtime.bigint() - started) / calls;
}

/** Each CORS variant answers each request as the load runs expect before it is timed. */
function checkAnswers(kind, newRequest) {
  for (const name of ['peer', 'corsgate']) {
    const req = newRequest();
    const res = new ServerResponse(req);
    VARIANTS[name](req, res);
    const allowOrigin = res.getHeader('access-control-allow-origin');
    const ok =
      kind === 'disallowed'
        ? allowOrigin === undefined && res.statusCode === 200
        : allowOrigin === ORIGINS[0] && res.statusCode === (kind === 'preflight' ? 204 : 200);
    if (!ok || !String(res.getHeader('vary')).includes('Origin'))
      throw new Error(
        `${name} ${kind}: status ${res.statusCode}, headers ${JSON.stringify(res.getHeaders())}`,
      );
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `| request | no CORS ns | cors ns | corsgate ns | CORS layer: cors | CORS layer: corsgate | corsgate/cors |`,
);
console.log('|:--|--:|--:|--:|--:|--:|--:|');
for (const kind of Object.keys(KINDS)) {
  const newRequest = requestOf(kind);
  checkAnswers(kind, newRequest);
  for (const handler of Object.values(VARIANTS)) measure(handler, newRequest, CALLS / 10);
  const times = { none: [], peer: [], corsgate: [] };
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, handler] of Object.entries(VARIANTS))
      times[name].push(measure(handler, newRequest, CALLS));
  const [none, peerNs, ours] = ['none', 'peer', 'corsgate'].map((name) => median(times[name]));
  console.log(
    `| ${kind} | ${none.toFixed(0)} | ${peerNs.toFixed(0)} | ${ours.toFixed(0)} | ${(peerNs - none).toFixed(0)} | ${(ours - none).toFixed(0)} | ${((ours - none) / (peerNs - none)).toFixed(2)} |`,
  );
}
