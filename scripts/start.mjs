#!/usr/bin/env node
// `npm start`: a demo API (examples/demo-upstream.mjs) with the corsgate gateway in front of it,
// configured by examples/corsgate.yaml and examples/allowed_origins.list. Prints the URLs and
// three curl commands; Ctrl-C stops both. Ports: PORT (gateway, default 8080), ADMIN_PORT (9901),
// UPSTREAM_PORT (3000); a busy port falls back to a free one. Run after scripts/ensure.mjs.
// The demo gets an admin token of its own, made here and printed, so the console's Allow works;
// it is given to this gateway process only (CORSGATE_ADMIN_TOKENS), never a default anywhere else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const children = [];

/** Binds `port` (0 = any) on loopback and releases it: the port if it was free, else undefined. */
function tryPort(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const { port: bound } = s.address();
      s.close(() => resolve(bound));
    });
  });
}

/** The wanted port, or a free one when it is busy (0 would disable the admin listener). */
async function choose(wanted) {
  return (wanted !== 0 ? await tryPort(wanted) : undefined) ?? (await tryPort(0));
}

/** Starts a process and resolves with the first JSON stdout line for which `pick` returns a value. */
function start(args, pick, label, env = process.env) {
  return new Promise((resolve, reject) => {
    // A stop that arrived while an earlier process was starting: starting this one would orphan it.
    if (stopping) {
      reject(new Error(`${label} not started: stopping`));
      return;
    }
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let buffer = '';
    let found = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = undefined;
        }
        const value = entry === undefined || found ? undefined : pick(entry);
        if (value !== undefined) {
          found = true;
          resolve(value);
        } else if (found && entry?.event === 'denied') {
          console.log(`  [${label}] refused ${entry.origin} ${entry.method} ${entry.path}: ${entry.reason}`);
        } else if (found && entry?.level >= 50) console.log(`  [${label}] ${entry.msg}`);
      }
    });
    child.on('exit', (code) => {
      if (!found) reject(new Error(`${label} exited with ${code} before it was ready`));
      else if (!stopping) {
        console.error(`${label} exited with ${code}`);
        stop(1);
      }
    });
  });
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  // A child that has not exited by then is killed, never left running behind us.
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 1500).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.on('exit', r)) : null))).then(
    () => process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// 128 random bits, new on every start: the demo's only admin token.
const demoToken = randomBytes(16).toString('hex');

try {
  const upstreamUrl = await start(
    [
      join(root, 'examples/demo-upstream.mjs'),
      String(await choose(Number(process.env.UPSTREAM_PORT ?? 3000))),
    ],
    (e) => e.url,
    'upstream',
  );
  const { url, admin } = await start(
    [
      join(root, 'packages/gateway/dist/cli/bin.js'),
      'serve',
      '--config',
      join(root, 'examples/corsgate.yaml'),
      '--upstream',
      upstreamUrl,
      '--port',
      String(await choose(Number(process.env.PORT ?? 8080))),
      '--admin-port',
      String(await choose(Number(process.env.ADMIN_PORT ?? 9901))),
    ],
    (e) => (e.event === 'listening' ? { url: e.url, admin: e.admin } : undefined),
    'corsgate',
    { ...process.env, CORSGATE_ADMIN_TOKENS: `demo:${demoToken}` },
  );
  console.log(`
corsgate is running.

  gateway    ${url}   (in front of the demo API at ${upstreamUrl})
  console    ${admin}/   (open it in a browser: who is refused, Allow with one click)
  token      ${demoToken}   (this demo's admin token: sign in with it to Allow; made for this run only)
  admin      ${admin}   (/health /ready /metrics /allowlist /denied, POST /reload)
  allowlist  examples/allowed_origins.list   (edit it: changes apply at once)
  config     examples/corsgate.yaml

An allowed preflight (204 with the CORS headers):
  curl -i -X OPTIONS ${url}/api/items -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'

A refused preflight (403 with a body saying why, no CORS headers, never reaches the API):
  curl -i -X OPTIONS ${url}/api/items -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: PUT'

A blocked cross-site POST (403 before the API acts on it):
  curl -i -X POST ${url}/api/items -H 'Origin: https://evil.example' -H 'Content-Type: text/plain' -d 'transfer all'

Then see who was refused:  curl ${admin}/denied
The engine demonstration:  npx corsgate demo
Ctrl-C stops both.
`);
} catch (error) {
  console.error(`npm start: ${error.message}`);
  stop(1);
}
