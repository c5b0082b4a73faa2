// The engine benchmark's scenarios, shared by the timed run (run.mjs) and by the correctness test
// (bench/test/engine-scenarios.test.ts), so every timed case is first proved to decide correctly.
//
// Both sides get the same minimal req/res objects and both pay for applying headers: corsgate's
// side is `evaluate` plus the few lines an adapter needs to set the decision's headers, append
// Vary and end a preflight; the `cors` side is its middleware function as Express would call it.
import cors from 'cors';
import { createPolicy } from 'corsgate';

export const HOST = 'api.example.net';
const METHODS = ['PUT', 'DELETE'];
const REQUEST_HEADERS = ['content-type', 'x-a', 'x-b'];
const EXPOSE = ['X-Total'];
const MAX_AGE = 600;

/** A response that records what a middleware does to it, as node:http's would. */
export function makeRes() {
  return {
    statusCode: 200,
    ended: false,
    headers: {},
    setHeader(name, value) {
      this.headers[name.toLowerCase()] = value;
    },
    getHeader(name) {
      return this.headers[name.toLowerCase()];
    },
    end() {
      this.ended = true;
    },
  };
}

/** The glue an adapter adds around `evaluate`: read the facts, set headers, append Vary, end preflights. */
export function corsgateMiddleware(policy) {
  return function corsgate(req, res, next) {
    const h = req.headers;
    const d = policy.evaluate({
      method: req.method,
      origin: h.origin,
      accessControlRequestMethod: h['access-control-request-method'],
      accessControlRequestHeaders: h['access-control-request-headers'],
      host: h.host,
      scheme: 'https',
    });
    for (const name in d.headers) res.setHeader(name, d.headers[name]);
    if (d.vary.length > 0) {
      const prev = res.getHeader('Vary');
      res.setHeader('Vary', prev ? `${prev}, ${d.vary.join(', ')}` : d.vary.join(', '));
    }
    if (d.kind === 'preflight') {
      res.statusCode = d.status;
      res.setHeader('Content-Length', '0');
      res.end();
    } else next();
  };
}

const exactOrigin = (i) => `https://app${i}.example.com`;
const wildcardEntry = (i) => `https://*.tenant${i}.example.com`;
const wildcardOrigin = (i) => `https://app.tenant${i}.example.com`;
// What a `cors` user writes for a subdomain wildcard: one anchored regular expression per entry.
const wildcardRegex = (i) => new RegExp(`^https://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.tenant${i}\\.example\\.com$`);

function pair(entries, peerOrigins) {
  const policy = createPolicy({
    origins: entries,
    credentials: true,
    methods: METHODS,
    requestHeaders: REQUEST_HEADERS,
    exposeHeaders: EXPOSE,
    maxAge: MAX_AGE,
  });
  const peer = cors({
    origin: peerOrigins,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', ...METHODS],
    allowedHeaders: REQUEST_HEADERS,
    exposedHeaders: EXPOSE,
    maxAge: MAX_AGE,
    optionsSuccessStatus: 204,
  });
  return { corsgate: corsgateMiddleware(policy), cors: peer };
}

const get = (origin) => ({ method: 'GET', headers: { host: HOST, origin } });
const preflight = (origin, acrh) => ({
  method: 'OPTIONS',
  headers: {
    host: HOST,
    origin,
    'access-control-request-method': 'PUT',
    ...(acrh === undefined ? {} : { 'access-control-request-headers': acrh }),
  },
});

/** What each side must have done; checked by the test before anything is timed. */
const allowedActual = (origin) => ({
  next: true,
  status: 200,
  headers: {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'X-Total',
    vary: 'Origin',
  },
});

/**
 * Builds every scenario. `sizes` lets the test use the real sizes (default) and lets nothing
 * else differ between what is proved and what is timed.
 */
export function buildScenarios() {
  const scenarios = [];
  const ten = Array.from({ length: 10 }, (_, i) => exactOrigin(i));
  const small = pair(ten, ten);
  const app = exactOrigin(3);

  scenarios.push({
    name: 'allowed actual (10 exact entries)',
    group: 'basic',
    ...small,
    req: get(app),
    expect: { corsgate: allowedActual(app), cors: allowedActual(app) },
  });
  scenarios.push({
    name: 'allowed preflight, 3 request headers',
    group: 'basic',
    ...small,
    req: preflight(app, 'content-type,x-a,x-b'),
    expect: {
      corsgate: {
        next: false,
        status: 204,
        headers: {
          'access-control-allow-origin': app,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': 'PUT',
          'access-control-allow-headers': 'content-type,x-a,x-b',
          'access-control-max-age': '600',
          'content-length': '0',
          vary: 'Origin',
        },
      },
      cors: {
        next: false,
        status: 204,
        headers: {
          'access-control-allow-origin': app,
          'access-control-allow-credentials': 'true',
          'access-control-allow-methods': 'GET,HEAD,POST,PUT,DELETE',
          'access-control-allow-headers': 'content-type,x-a,x-b',
          'access-control-expose-headers': 'X-Total',
          'access-control-max-age': '600',
          'content-length': '0',
          vary: 'Origin',
        },
      },
    },
  });
  const refusedPreflight = { next: false, status: 403, headers: { 'content-length': '0', vary: 'Origin' } };
  // `cors` cannot refuse a preflight: it answers 204 with everything but ACAO.
  const corsRefusedPreflight = {
    next: false,
    status: 204,
    headers: {
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,HEAD,POST,PUT,DELETE',
      'access-control-allow-headers': 'content-type,x-a,x-b',
      'access-control-expose-headers': 'X-Total',
      'access-control-max-age': '600',
      'content-length': '0',
      vary: 'Origin',
    },
  };
  scenarios.push({
    name: 'disallowed preflight',
    group: 'basic',
    ...small,
    req: preflight('https://evil.example', 'content-type,x-a,x-b'),
    expect: { corsgate: refusedPreflight, cors: corsRefusedPreflight },
  });
  for (const [label, size] of [
    ['8 KiB', 8 * 1024],
    ['1 MiB', 1024 * 1024],
  ]) {
    scenarios.push({
      name: `hostile ACRH (${label} of commas)`,
      group: 'hostile',
      ...small,
      req: preflight(app, ','.repeat(size)),
      expect: {
        corsgate: refusedPreflight,
        cors: {
          ...corsRefusedPreflight,
          headers: { ...corsRefusedPreflight.headers, 'access-control-allow-origin': app },
        },
      },
    });
  }

  for (const size of [10, 10_000, 100_000]) {
    const exact = Array.from({ length: size }, (_, i) => exactOrigin(i));
    const origin = exactOrigin(size - 1);
    scenarios.push({
      name: `allowed actual, ${size} exact entries`,
      group: 'exact',
      size,
      ...pair(exact, exact),
      req: get(origin),
      expect: { corsgate: allowedActual(origin), cors: allowedActual(origin) },
    });
    const wild = Array.from({ length: size }, (_, i) => wildcardEntry(i));
    const regexes = Array.from({ length: size }, (_, i) => wildcardRegex(i));
    const sub = wildcardOrigin(size - 1);
    scenarios.push({
      name: `allowed actual, ${size} wildcard entries`,
      group: 'wildcard',
      size,
      ...pair(wild, regexes),
      req: get(sub),
      expect: { corsgate: allowedActual(sub), cors: allowedActual(sub) },
    });
  }
  return scenarios;
}

/** Runs one side once on fresh objects and reports what it did. */
export function runOnce(middleware, req) {
  const res = makeRes();
  let next = false;
  middleware(req, res, () => {
    next = true;
  });
  return { next, status: res.statusCode, headers: res.headers };
}
