#!/usr/bin/env node
// The container's HEALTHCHECK (docs/deploy.md "Container image"): GET /health on the admin
// listener, exit 0 on 200 and 1 otherwise. Node's own fetch, so the image needs no curl or shell.
const port = process.env.CORSGATE_ADMIN_PORT ?? '9901';
const bound = process.env.CORSGATE_ADMIN_HOST ?? '127.0.0.1';
// A wildcard bind is reached on loopback; a specific address only on itself.
const host = bound === '0.0.0.0' || bound === '::' || bound === '' ? '127.0.0.1' : bound;
if (port === '0') {
  console.error('healthcheck: the admin listener is disabled (CORSGATE_ADMIN_PORT=0)');
  process.exit(1);
}
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/health`;
fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
  (response) => process.exit(response.status === 200 ? 0 : 1),
  (error) => {
    console.error(`healthcheck: ${url}: ${error.cause?.code ?? error.message}`);
    process.exit(1);
  },
);
