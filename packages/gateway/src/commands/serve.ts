/**
 * `corsgate serve`: arguments → the gateway's config types → the server. No CORS logic here: the
 * engine validates policies and the allowlist, and every problem is printed before exiting 2.
 */
import cluster from 'node:cluster';
import { formatIssue } from 'corsgate';
import { formatAllowlistIssue } from 'corsgate/allowlist';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo, Command } from '../cli/io.js';
import { type FlagValues, loadConfig } from '../config/load.js';
import { type ConfigProblem, formatProblem, type GatewayConfig } from '../config/types.js';
import { AllowlistStartError, type AllowlistWatcher, openAllowlist } from '../server/allowlist.js';
import { RouteTable } from '../server/routes.js';

export const SERVE_HELP = `Usage: corsgate serve --upstream URL [options]

A CORS gateway in front of an API: answers preflights, re-checks every request against the
allowlist in force, blocks refused origins' state-changing requests, forwards the rest.

Options (flags override --config):
  --upstream URL            the API to forward to (required), e.g. http://127.0.0.1:3000
  --allowlist SOURCE        allowed origins: a FILE, one a line (default ./allowed_origins.list),
                            or redis://[user:password@]host:port[/db][?key=NAME] (rediss:// for
                            TLS) for a list a fleet shares (see docs/sources.md)
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
  --credentials             allow credentialed requests (Access-Control-Allow-Credentials)
  --methods LIST            methods beyond GET, HEAD, POST, comma-separated
  --request-headers LIST    request headers scripts may send, comma-separated
  --expose-headers LIST     response headers scripts may read, comma-separated
  --max-age N               seconds a browser may cache a preflight (0..86400)
  --preflight-status N      204 (default) or 200
  --workers N|auto          processes serving traffic (default 1; auto = one per core)
  --tls-cert FILE           serve HTTPS with this certificate (PEM) ...
  --tls-key FILE            ... and this key (PEM)
  --upstream-timeout MS     upstream connect/headers/body timeout (default 30000) → 504
  --log-level LEVEL         fatal, error, warn, info (default), debug, trace, silent
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
    if (!(error instanceof AllowlistStartError)) throw error;
    const headline = (error.message.split('\n')[0] ?? '').replace(/^corsgate: /, '');
    io.stderr.write(`corsgate serve: ${error.code}: ${headline}; not started\n`);
    for (const i of error.issues) io.stderr.write(`${formatAllowlistIssue(i, config.allowlist)}\n`);
    return undefined;
  }
  const origins = watcher.current.policy.config().origins;
  const routeErrors = RouteTable.check(config.routes, origins);
  if (routeErrors.length > 0) {
    for (const { route, error } of routeErrors)
      for (const i of error.errors)
        io.stderr.write(`route ${route.path} with ${config.allowlist}: error ${formatIssue(i)}\n`);
    await watcher.close();
    return undefined;
  }
  for (const w of watcher.current.warnings) io.stderr.write(`${formatAllowlistIssue(w, config.allowlist)}\n`);
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

export const serve: Command = async (argv, io) => {
  const parsed = parseCommandArgs(
    'serve',
    argv,
    {
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
      'log-level': { type: 'string' },
    },
    SERVE_HELP,
    io,
    false,
  );
  if (typeof parsed === 'number') return parsed;
  const values: Record<string, string | boolean | undefined> = parsed.values;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const flags: FlagValues = {};
  const map: [keyof FlagValues, string][] = [
    ['upstream', 'upstream'],
    ['allowlist', 'allowlist'],
    ['allowlistCache', 'allowlist-cache'],
    ['config', 'config'],
    ['host', 'host'],
    ['port', 'port'],
    ['adminHost', 'admin-host'],
    ['adminPort', 'admin-port'],
    ['adminTokenFile', 'admin-token-file'],
    ['auditFile', 'audit-file'],
    ['methods', 'methods'],
    ['requestHeaders', 'request-headers'],
    ['exposeHeaders', 'expose-headers'],
    ['maxAge', 'max-age'],
    ['preflightStatus', 'preflight-status'],
    ['workers', 'workers'],
    ['tlsCert', 'tls-cert'],
    ['tlsKey', 'tls-key'],
    ['upstreamTimeout', 'upstream-timeout'],
    ['logLevel', 'log-level'],
  ];
  for (const [key, flag] of map) {
    const v = str(flag);
    if (v !== undefined) (flags as Record<string, string>)[key] = v;
  }
  if (values['credentials'] === true) flags.credentials = true;

  const { config, problems } = loadConfig(flags, io.cwd);
  printProblems(io, problems);
  if (config === undefined) {
    io.stderr.write(
      `corsgate serve: invalid configuration (${problems.filter((p) => p.severity === 'error').length} errors); not started\n`,
    );
    return EXIT.INVALID;
  }

  const { runPrimary, runWorker } = await import('../server/run.js');
  if (cluster.isWorker) {
    // A worker: the primary already validated everything; start serving.
    const watcher = await openAllowlist(config.allowlist, config.policy, config);
    const code = await runWorker(config, watcher, { admin: false });
    cluster.worker?.disconnect();
    return code;
  }
  const watcher = await openChecked(config, io);
  if (watcher === undefined) return EXIT.INVALID;
  if (config.workers > 1) {
    await watcher.close();
    return runPrimary(config);
  }
  return runWorker(config, watcher, { admin: true });
};
