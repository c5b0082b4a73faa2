/**
 * The conformance application as a Fetch handler for Bun, Deno and workerd (issue 22), written
 * against the published entry points `corsgate`, `corsgate/fetch` and `corsgate/hono` only. It is
 * bundled for a neutral platform (no Node built-ins: workerd has none), so an entry point that
 * reached for one would fail the bundle, and the run, loudly.
 *
 * `handlers(policies)` gives one handler per (policy, adapter); each records the reason of every
 * decision corsgate made and answers `GET /__corsgate/reasons` (outside the middleware) with the
 * reasons since the last such call, the way the Node ways in watch `policy.evaluate`.
 */
import { type CorsConfig, createPolicy } from 'corsgate';
import { withCors } from 'corsgate/fetch';
import { cors } from 'corsgate/hono';
import { Hono } from 'hono';

type Options = CorsConfig & { blockDisallowedUnsafeRequests?: boolean };
type Handler = (request: Request) => Promise<Response>;

const ITEMS = JSON.stringify({ items: [] });

/** The same application as the Node ways in (test/conformance/_ways-in.ts). */
function fetchApp(request: Request): Response {
  const path = new URL(request.url).pathname;
  const json = { 'Content-Type': 'application/json' };
  if (path === '/api/items' && request.method === 'GET')
    return new Response(ITEMS, {
      headers: { ...json, 'X-App': 'kept', 'X-Request-Id': 'r1', Vary: 'Accept-Encoding' },
    });
  if (path === '/api/items' && request.method === 'POST')
    return new Response(ITEMS, { status: 201, headers: { ...json, 'X-App': 'kept' } });
  if (path === '/api/items' && request.method === 'OPTIONS')
    return new Response(null, { status: 200, headers: { 'X-App': 'kept', Allow: 'GET, POST, OPTIONS' } });
  if (path === '/api/vary-set' || path === '/api/vary-origin')
    return new Response(ITEMS, {
      headers: { ...json, Vary: path === '/api/vary-set' ? 'Accept-Encoding' : 'origin' },
    });
  if (path === '/api/error') throw new Error('boom');
  return new Response('Not Found', { status: 404 });
}

function honoApp(options: Parameters<typeof cors>[0]): Hono {
  const app = new Hono();
  app.use('*', cors(options));
  app.get('/api/items', (c) => {
    c.header('X-App', 'kept');
    c.header('X-Request-Id', 'r1');
    c.header('Vary', 'Accept-Encoding', { append: true });
    return c.json({ items: [] });
  });
  app.post('/api/items', (c) => {
    c.header('X-App', 'kept');
    return c.json({ items: [] }, 201);
  });
  app.options('/api/items', (c) => {
    c.header('X-App', 'kept');
    c.header('Allow', 'GET, POST, OPTIONS');
    return c.body(null, 200);
  });
  app.get('/api/vary-set', (c) => {
    c.header('Vary', 'Accept-Encoding');
    return c.json({ items: [] });
  });
  app.get('/api/vary-origin', (c) => {
    c.header('Vary', 'origin');
    return c.json({ items: [] });
  });
  app.get('/api/error', () => {
    throw new Error('boom');
  });
  return app;
}

function handler(options: Options, adapter: 'fetch' | 'hono'): Handler {
  const { blockDisallowedUnsafeRequests, ...config } = options;
  const policy = createPolicy(config);
  const reasons: string[] = [];
  const evaluate = policy.evaluate.bind(policy);
  policy.evaluate = (facts) => {
    const decision = evaluate(facts);
    reasons.push(decision.reason);
    return decision;
  };
  const compiled = { policy, blockDisallowedUnsafeRequests };
  const serve: (request: Request) => Response | Promise<Response> =
    adapter === 'fetch' ? withCors(fetchApp, compiled) : honoApp(compiled).fetch;
  return async (request) => {
    if (new URL(request.url).pathname === '/__corsgate/reasons') {
      const body = JSON.stringify(reasons.splice(0));
      return new Response(body, { headers: { 'Content-Type': 'application/json' } });
    }
    try {
      return await serve(request);
    } catch {
      // What a runtime does with a handler that throws differs (workerd answers 500 with its own
      // body); the application's own error page keeps the rows comparable.
      return new Response('Internal Server Error', { status: 500 });
    }
  };
}

/** One handler per `<policy>:<adapter>`. */
export function handlers(policies: Record<string, Options>): Record<string, Handler> {
  const all: Record<string, Handler> = {};
  for (const [name, options] of Object.entries(policies)) {
    all[`${name}:fetch`] = handler(options, 'fetch');
    all[`${name}:hono`] = handler(options, 'hono');
  }
  return all;
}
