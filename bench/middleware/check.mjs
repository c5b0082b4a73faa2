// Asserts that one benchmark scenario answers each request kind correctly, so a benchmark can never
// quietly time a broken path. Used by run.mjs before timing and by bench/test/middleware.test.ts.
import { BODY, KINDS, MAX_AGE } from './servers.mjs';

async function send(port, kind) {
  const { method, headers } = KINDS[kind];
  const response = await fetch(`http://127.0.0.1:${port}/api/items`, { method, headers });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function fail(message) {
  throw new Error(message);
}

function expectEqual(actual, expected, what) {
  if (actual !== expected)
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function varyHasOrigin(headers) {
  return (headers.get('vary') ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .includes('origin');
}

/** Throws with a precise message when the scenario misbehaves. */
export async function checkScenario(framework, variant, port) {
  const at = `${framework}/${variant}`;
  const actual = await send(port, 'actual');
  expectEqual(actual.status, 200, `${at} allowed GET status`);
  expectEqual(actual.body, BODY, `${at} allowed GET body`);
  const disallowed = await send(port, 'disallowed');
  expectEqual(disallowed.status, 200, `${at} disallowed GET status`);
  expectEqual(disallowed.body, BODY, `${at} disallowed GET body`);
  expectEqual(disallowed.headers.get('access-control-allow-origin'), null, `${at} disallowed GET ACAO`);
  const preflight = await send(port, 'preflight');

  if (variant === 'none') {
    expectEqual(actual.headers.get('access-control-allow-origin'), null, `${at} GET ACAO`);
    expectEqual(preflight.headers.get('access-control-allow-origin'), null, `${at} preflight ACAO`);
    return;
  }
  expectEqual(actual.headers.get('access-control-allow-origin'), 'https://app.example.com', `${at} GET ACAO`);
  expectEqual(actual.headers.get('access-control-allow-credentials'), 'true', `${at} GET ACAC`);
  if (!varyHasOrigin(actual.headers)) fail(`${at} GET lacks Vary: Origin`);
  if (!varyHasOrigin(disallowed.headers)) fail(`${at} disallowed GET lacks Vary: Origin`);
  expectEqual(preflight.status, 204, `${at} preflight status`);
  expectEqual(
    preflight.headers.get('access-control-allow-origin'),
    'https://app.example.com',
    `${at} preflight ACAO`,
  );
  expectEqual(preflight.headers.get('access-control-allow-credentials'), 'true', `${at} preflight ACAC`);
  expectEqual(preflight.headers.get('access-control-max-age'), String(MAX_AGE), `${at} preflight max-age`);
  const methods = (preflight.headers.get('access-control-allow-methods') ?? '')
    .split(',')
    .map((m) => m.trim());
  if (!methods.includes('PUT')) fail(`${at} preflight does not allow PUT: ${methods}`);
  const allowHeaders = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  for (const name of ['content-type', 'authorization'])
    if (
      !allowHeaders
        .split(',')
        .map((h) => h.trim())
        .includes(name)
    )
      fail(`${at} preflight does not allow ${name}`);
  if (variant === 'corsgate') {
    // corsgate echoes exactly what was asked and nothing else, and sends nothing but Vary to a
    // disallowed origin (the peers send Access-Control-Allow-Credentials there too).
    expectEqual(preflight.headers.get('access-control-allow-methods'), 'PUT', `${at} preflight ACAM`);
    expectEqual(allowHeaders, 'content-type,authorization', `${at} preflight ACAH`);
    expectEqual(preflight.headers.get('vary'), 'Origin', `${at} preflight Vary`);
    expectEqual(
      disallowed.headers.get('access-control-allow-credentials'),
      null,
      `${at} disallowed GET ACAC`,
    );
  }
}
