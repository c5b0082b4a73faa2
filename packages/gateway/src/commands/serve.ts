/**
 * `corsgate serve`: arguments → the gateway's config types → the server. No CORS logic here: the
 * engine validates policies and the allowlist, and every problem is printed before exiting 2.
 */
import cluster from 'node:cluster';
import { formatProblem } from 'corsgate';
import { formatAllowlistError, formatAllowlistIssue } from 'corsgate/allowlist';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo, Command } from '../cli/io.js';
import { layerEnvironment, type OptionShape, type OptionValue, relocate } from '../config/env.js';
import { type FlagValues, loadConfig } from '../config/load.js';
import { type ConfigProblem, formatRouteIssue, type GatewayConfig } from '../config/types.js';
import { RouteTable } from '../decide/routes.js';
import { AllowlistError, type AllowlistWatcher, openAllowlist } from '../server/allowlist.js';
import { shownSource } from '../sources/index.js';

export const SERVE_HELP = `Usage: corsgate serve --upstream URL [options]

A CORS gateway in front of an API: answers preflights, re-checks every request against the
allowlist in force, blocks refused origins' state-changing requests, forwards the rest.

Options (a flag overrides its environment variable, which overrides --config). Every flag has a
variable: CORSGATE_ + the name in upper snake case (--admin-port → CORSGATE_ADMIN_PORT; booleans
take true/false, 1/0). See docs/deploy.md.
  --upstream URL            the API to forward to (required), e.g. http://127.0.0.1:3000
  --allowlist SOURCE        allowed origins: a FILE, one a line (default ./allowed_origins.list),
                            or redis://[user:password@]host:port[/db][?key=NAME] (rediss:// for
                            TLS) for a list a fleet shares, redis+sentinel://SENTINELS/MASTER,
                            redis+cluster://NODES (see docs/sources.md)
  --allowlist-cache FILE    with a Redis source: keep the last good version here, and start from
                            it while Redis is down (without one such a node is not ready)
  --config FILE             YAML config: policy, routes, listeners (see docs/gateway.md)
  --host HOST               traffic listener address (default 127.0.0.1)
  --port N                  traffic listener port (default 8080; 0 picks a free one)
  --admin-host HOST         admin listener address (default 127.0.0.1)
  --admin-port N            admin listener port (default 9901; 0 disables it)
  --admin-token-file FILE   named admin tokens, one name:token a line (or CORSGATE_ADMIN_TOKENS);
                            writes always need one, and so does everything off loopback
  --audit-file FILE         audit log of admin writes (default: the allowlist's path + .audit.jsonl)
  --report-only             decide and record as usual, block nothing; CORS headers for allowed origins only
  --candidate-allowlist FILE  a list evaluated beside the one in force; GET /candidate shows whom it would change
  --credentials             allow credentialed requests (Access-Control-Allow-Credentials)
  --methods LIST            methods beyond GET, HEAD, POST, comma-separated
  --request-headers LIST    request headers scripts may send, comma-separated
  --expose-headers LIST     response headers scripts may read, comma-separated
  --max-age N               seconds a browser may cache a preflight (0..86400)
  --preflight-status N      204 (default) or 200
  --workers N|auto          processes serving traffic (default 1; auto = one per core)
  --tls-cert FILE           serve HTTPS with this certificate (PEM) ...
  --tls-key FILE            ... and this key (PEM); offers h2 and http/1.1 by ALPN
  --no-http2                with TLS, offer http/1.1 only
  --upstream-timeout MS     upstream connect/headers/body timeout (default 30000) → 504
  --upstream-connections N  upstream connections in the pool (default 256)
  --upstream-queue-timeout MS  longest wait for a free upstream connection (default 5000) → 503
  --request-timeout MS      a request body must arrive whole within this (default 60000) → 408
  --body-idle-timeout MS    longest pause inside a request body (default 10000) → 408
  --request-buffer-size BYTES  bodies up to this are read whole before they take an upstream
                            connection (default 65536; 0 streams every body)
  --request-buffer-memory BYTES  bytes all such bodies may hold together (default 33554432) → 503
  --public-origin ORIGIN    the gateway's own origin as browsers see it (repeatable); the only
                            origins treated as same-origin
  --escaped-paths MODE      reject (default: 400 for %2F, %5C, %2E segments) or unescape
  --dangerously-case-sensitive-routes
                            match route paths case-sensitively (/API/x then escapes /api/*)
  --admin-allowed-host NAME a Host name the admin listener answers to besides its address (repeatable)
  --log-level LEVEL         fatal, error, warn, info (default), debug, trace, silent
  --access-log              one JSON line a request on stdout (off by default)
  --websocket-idle-timeout MS  close a WebSocket quiet both ways this long (1001; default 60000, 0 never)
`;

function printProblems(io: CliIo, problems: readonly ConfigProblem[]): void {
  for (const p of problems) io.stderr.write(`${formatProblem(p)}\n`);
}

/** Opens the allowlist and checks every route compiles with it; prints every problem. */
async function openChecked(config: GatewayConfig, io: CliIo): Promise<AllowlistWatcher | undefined> {
  let watcher: AllowlistWatcher;
  try {
    watcher = await openAllowlist(config.allowlist, config.policy, config);
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    // The source as shown: a URL's password never reaches the terminal or the log.
    const shown = shownSource(config.allowlist);
    for (const line of formatAllowlistError(error, shown)) io.stderr.write(`${line}\n`);
    io.stderr.write(`corsgate serve: the allowlist ${shown} cannot be used (${error.code}); not started\n`);
    return undefined;
  }
  const origins = watcher.current.policy.config().origins;
  const routeErrors = RouteTable.check(config.routes, origins);
  if (routeErrors.length > 0) {
    for (const { route, error } of routeErrors)
      for (const i of error.errors) io.stderr.write(`${formatRouteIssue(route.path, i)}\n`);
    await watcher.close();
    return undefined;
  }
  for (const w of watcher.current.warnings)
    io.stderr.write(`${formatAllowlistIssue(w, shownSource(config.allowlist))}\n`);
  const status = watcher.status();
  if (status.ready === false) {
    // A Redis source with Redis down and no cache: start anyway, refusing every origin and not
    // ready, so the node joins as soon as Redis answers (docs/sources.md).
    const why = status.lastReadError?.message ?? status.lastErrors[0]?.message ?? 'no version yet';
    io.stderr.write(`corsgate serve: not ready: ${why.replace(/^corsgate: /, '')}\n`);
  } else if (status.staleSince !== undefined) {
    io.stderr.write(`corsgate serve: ${(status.lastReadError?.message ?? '').replace(/^corsgate: /, '')}\n`);
  }
  return watcher;
}

/** Every `serve` option; each also reads `CORSGATE_<NAME>` from the environment (config/env.ts). */
export const SERVE_OPTIONS = {
  upstream: { type: 'string' },
  allowlist: { type: 'string' },
  'allowlist-cache': { type: 'string' },
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'admin-host': { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-token-file': { type: 'string' },
  'audit-file': { type: 'string' },
  'report-only': { type: 'boolean' },
  'candidate-allowlist': { type: 'string' },
  credentials: { type: 'boolean' },
  methods: { type: 'string' },
  'request-headers': { type: 'string' },
  'expose-headers': { type: 'string' },
  'max-age': { type: 'string' },
  'preflight-status': { type: 'string' },
  workers: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'upstream-timeout': { type: 'string' },
  'upstream-connections': { type: 'string' },
  'upstream-queue-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'body-idle-timeout': { type: 'string' },
  'request-buffer-size': { type: 'string' },
  'request-buffer-memory': { type: 'string' },
  'public-origin': { type: 'string', multiple: true },
  'escaped-paths': { type: 'string' },
  'dangerously-case-sensitive-routes': { type: 'boolean' },
  'admin-allowed-host': { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  'access-log': { type: 'boolean' },
  'websocket-idle-timeout': { type: 'string' },
  'no-http2': { type: 'boolean' },
} as const satisfies Record<string, OptionShape>;

/** Option name → the FlagValues key the config loader takes. */
export const FLAG_KEYS: Record<keyof typeof SERVE_OPTIONS, keyof FlagValues> = {
  upstream: 'upstream',
  allowlist: 'allowlist',
  'allowlist-cache': 'allowlistCache',
  config: 'config',
  host: 'host',
  port: 'port',
  'admin-host': 'adminHost',
  'admin-port': 'adminPort',
  'admin-token-file': 'adminTokenFile',
  'audit-file': 'auditFile',
  'report-only': 'reportOnly',
  'candidate-allowlist': 'candidateAllowlist',
  credentials: 'credentials',
  methods: 'methods',
  'request-headers': 'requestHeaders',
  'expose-headers': 'exposeHeaders',
  'max-age': 'maxAge',
  'preflight-status': 'preflightStatus',
  workers: 'workers',
  'tls-cert': 'tlsCert',
  'tls-key': 'tlsKey',
  'upstream-timeout': 'upstreamTimeout',
  'upstream-connections': 'upstreamConnections',
  'upstream-queue-timeout': 'upstreamQueueTimeout',
  'request-timeout': 'requestTimeout',
  'body-idle-timeout': 'bodyIdleTimeout',
  'request-buffer-size': 'requestBufferSize',
  'request-buffer-memory': 'requestBufferMemory',
  'public-origin': 'publicOrigins',
  'escaped-paths': 'escapedPaths',
  'dangerously-case-sensitive-routes': 'dangerouslyCaseSensitiveRoutes',
  'admin-allowed-host': 'adminAllowedHosts',
  'log-level': 'logLevel',
  'access-log': 'accessLog',
  'websocket-idle-timeout': 'websocketIdleTimeout',
  'no-http2': 'noHttp2',
};

export const serve: Command = async (argv, io) => {
  const parsed = parseCommandArgs('serve', argv, SERVE_OPTIONS, SERVE_HELP, io, false);
  if (typeof parsed === 'number') return parsed;
  const { help: _help, ...given } = parsed.values as Record<string, OptionValue>;
  const layered = layerEnvironment(SERVE_OPTIONS, given, io.env);
  const flags: FlagValues = {};
  for (const [option, key] of Object.entries(FLAG_KEYS)) {
    const value = layered.values[option];
    if (value !== undefined) (flags as Record<string, OptionValue>)[key] = value;
  }

  const loaded = loadConfig(flags, io.cwd);
  const config = layered.problems.some((p) => p.severity === 'error') ? undefined : loaded.config;
  const problems = [...layered.problems, ...relocate(loaded.problems, layered.sources)];
  printProblems(io, problems);
  if (config === undefined) {
    io.stderr.write(
      `corsgate serve: invalid configuration (${problems.filter((p) => p.severity === 'error').length} errors); not started\n`,
    );
    return EXIT.INVALID;
  }

  const { runPrimary, runWorker } = await import('../run/index.js');
  if (cluster.isWorker) {
    // A worker: the primary already validated everything; start serving.
    const watcher = await openAllowlist(config.allowlist, config.policy, config);
    const code = await runWorker(config, watcher, { admin: false });
    cluster.worker?.disconnect();
    return code;
  }
  const watcher = await openChecked(config, io);
  if (watcher === undefined) return EXIT.INVALID;
  try {
    // Kept open with workers: the primary's admin listener writes through it (docs/console.md "Writes").
    return config.workers > 1
      ? await runPrimary(config, watcher)
      : await runWorker(config, watcher, { admin: true });
  } catch (error) {
    const mistake = operatorMistake(error as NodeJS.ErrnoException, config);
    if (mistake === undefined) throw error;
    await watcher.close();
    io.stderr.write(`corsgate serve: ${mistake}; not started\n`);
    return EXIT.INVALID;
  }
};

/**
 * A start-up failure that is the operator's to fix (a busy port, an unreadable or invalid TLS
 * file), as one line naming the flag and the fix; undefined for anything else, which stays a bug
 * (docs/cli.md "Exit codes": 2, not 70).
 */
export function operatorMistake(error: NodeJS.ErrnoException, config: GatewayConfig): string | undefined {
  const { code, syscall } = error;
  const { port, address } = error as { port?: number; address?: string };
  if (syscall === 'listen' || syscall === 'bind') {
    const admin = port === config.adminPort && address === config.adminHost && port !== config.port;
    const flag = admin ? '--admin-port' : '--port';
    const hostFlag = admin ? '--admin-host' : '--host';
    if (code === 'EADDRINUSE')
      return `${flag} ${port}: ${address}:${port} is already in use by another process; stop it, or give a free port${admin ? '' : ' (--port 0 picks one)'}`;
    if (code === 'EACCES')
      return `${flag} ${port}: permission denied to listen on ${address}:${port} (ports below 1024 need privileges); give a port from 1024 up`;
    if (code === 'EADDRNOTAVAIL')
      return `${hostFlag} ${address}: not an address of this machine; give one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for all)`;
  }
  const tls = config.tls;
  if (tls === undefined) return undefined;
  if (syscall === 'open' && (error.path === tls.cert || error.path === tls.key)) {
    const flag = error.path === tls.cert ? '--tls-cert' : '--tls-key';
    return `${flag} ${error.path}: cannot be read (${code}); give the path of a readable PEM ${flag === '--tls-cert' ? 'certificate' : 'private key'} file`;
  }
  if (typeof code === 'string' && code.startsWith('ERR_OSSL'))
    return `--tls-cert ${tls.cert} and --tls-key ${tls.key}: not a usable PEM certificate and private key pair (${error.message}); give the certificate and its own key, both PEM`;
  return undefined;
}
