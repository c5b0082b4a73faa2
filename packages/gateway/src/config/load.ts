/**
 * Loads the YAML config file and merges the flags over it. Every problem is collected (YAML
 * syntax, shape, and the engine's own validation of each policy) and located at its line or flag,
 * so one run shows them all. Each concern has its module: the file (`file.ts`), the policy
 * (`policy.ts`), routes, the upstream, the listeners, the allowlist source and the admin tokens;
 * this one reads them in order and assembles the `GatewayConfig`.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { adminTokensFor } from './admin.js';
import { DEFAULTS } from './defaults.js';
import { type Located, type Path, readConfigFile } from './file.js';
import type { FlagValues } from './flags.js';
import { hardeningOptions } from './hardening.js';
import { logLevelOf, tlsFiles, wholeNumberFlag } from './listen.js';
import { basePolicy } from './policy.js';
import { compileRoutes } from './routes.js';
import type { FileConfig } from './schema.js';
import { allowlistSource, auditFileFor } from './source.js';
import type { ConfigProblem, GatewayConfig } from './types.js';
import { parseUpstream } from './upstream.js';

export { DEFAULTS } from './defaults.js';
export type { FlagValues } from './flags.js';
export { policyFromFlags, policyFromFlagsOnly } from './policy.js';

/**
 * Resolves the configuration. Returns every problem; `config` is present only when there is no
 * error. Does not read the allowlist file (the watcher does, and reports its own lines).
 */
export function loadConfig(
  flags: FlagValues,
  cwd: string,
): { config?: GatewayConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  let file: FileConfig = {};
  let located: Located | undefined;
  if (flags.config !== undefined) {
    const read = readConfigFile(resolve(cwd, flags.config), cwd, problems);
    located = read.located;
    if (read.config === undefined) return { problems };
    file = read.config;
  }
  const fileAt = (path: Path): string => located?.at(path) ?? (flags.config as string);
  const dirs = { cwd, configDir: flags.config === undefined ? cwd : resolve(cwd, flags.config, '..') };
  const number = (name: string, value: string | undefined, min: number, max: number) =>
    wholeNumberFlag(problems, name, value, min, max);

  const policy = basePolicy(flags, file, fileAt, problems);
  const routes = compileRoutes(file.routes, policy, fileAt, problems);
  const { upstream, upstreamPath } = parseUpstream(flags, file, fileAt, problems);
  const port = number('--port', flags.port, 0, 65535) ?? file.listen?.port ?? DEFAULTS.port;
  const adminPort =
    number('--admin-port', flags.adminPort, 0, 65535) ?? file.admin?.port ?? DEFAULTS.adminPort;
  let workers = 1;
  const workersText = flags.workers ?? (file.workers === undefined ? undefined : String(file.workers));
  if (workersText === 'auto') workers = availableParallelism();
  else if (workersText !== undefined) workers = number('--workers', workersText, 1, 256) ?? 1;
  const upstreamTimeoutMs =
    number('--upstream-timeout', flags.upstreamTimeout, 1, 86_400_000) ??
    file.upstreamTimeoutMs ??
    DEFAULTS.upstreamTimeoutMs;
  const logLevel = logLevelOf(flags.logLevel ?? file.logLevel ?? DEFAULTS.logLevel, problems);
  const tls = tlsFiles(flags, file, dirs, problems);
  const { allowlist, allowlistCache } = allowlistSource(flags, file, dirs, problems);
  const adminHost = flags.adminHost ?? file.admin?.host ?? DEFAULTS.adminHost;
  const adminTokens = adminTokensFor(flags, cwd, { host: adminHost, port: adminPort }, problems);
  const websocketIdleTimeoutMs =
    number('--websocket-idle-timeout', flags.websocketIdleTimeout, 0, 86_400_000) ??
    file.websocketIdleTimeoutMs ??
    DEFAULTS.websocketIdleTimeoutMs;
  const hardening = hardeningOptions(flags, file, fileAt, problems);
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return {
    problems,
    config: {
      ...hardening,
      upstream,
      upstreamPath,
      allowlist,
      ...(allowlistCache === undefined ? {} : { allowlistCache }),
      ...(file.allowlistRedis === undefined ? {} : { allowlistRedis: file.allowlistRedis }),
      host: flags.host ?? file.listen?.host ?? DEFAULTS.host,
      port,
      adminHost,
      adminPort,
      adminTokens,
      auditFile: auditFileFor(flags, allowlist, cwd),
      reportOnly: flags.reportOnly === true,
      ...(flags.candidateAllowlist === undefined
        ? {}
        : { candidateAllowlist: resolve(cwd, flags.candidateAllowlist) }),
      ...(tls === undefined ? {} : { tls }),
      workers,
      logLevel,
      upstreamTimeoutMs,
      shutdownTimeoutMs: file.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs,
      accessLog: flags.accessLog ?? file.accessLog ?? false,
      websocketIdleTimeoutMs,
      http2: flags.noHttp2 !== true && (file.listen?.http2 ?? true),
      policy,
      routes,
    },
  };
}
