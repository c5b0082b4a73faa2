/**
 * Loads the YAML config file and merges the flags over it. Every problem is collected (YAML
 * syntax, shape, and the engine's own validation of each policy) and located at its line, using
 * the `yaml` package's node ranges, so one run shows them all.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, relative, resolve } from 'node:path';
import { isRedisSource } from '@corsgate/redis';
import { type ConfigIssue, type CorsConfigWithoutOrigins, validateConfig } from 'corsgate';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { type AdminToken, isLoopbackHost, parseTokens } from '../admin/tokens.js';
import { type FileConfig, fileSchema, type PolicyFields } from './schema.js';
import type { ConfigProblem, GatewayConfig, RouteConfig } from './types.js';

/** What the command line gave, already typed; `undefined` means "not given". */
export interface FlagValues {
  upstream?: string;
  allowlist?: string;
  allowlistCache?: string;
  host?: string;
  port?: string;
  adminHost?: string;
  adminPort?: string;
  credentials?: boolean;
  methods?: string;
  requestHeaders?: string;
  exposeHeaders?: string;
  maxAge?: string;
  preflightStatus?: string;
  workers?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  upstreamTimeout?: string;
  config?: string;
  adminTokenFile?: string;
  auditFile?: string;
  accessLog?: boolean;
  websocketIdleTimeout?: string;
  reportOnly?: boolean;
  candidateAllowlist?: string;
  noHttp2?: boolean;
}

export const DEFAULTS = {
  allowlist: './allowed_origins.list',
  host: '127.0.0.1',
  port: 8080,
  adminHost: '127.0.0.1',
  adminPort: 9901,
  logLevel: 'info',
  upstreamTimeoutMs: 30_000,
  websocketIdleTimeoutMs: 60_000,
  shutdownTimeoutMs: 10_000,
} as const;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

type Path = readonly (string | number)[];

interface Located {
  /** Where a config path is in the file, `file:line:col`. */
  at(path: Path): string;
}

function readConfigFile(
  file: string,
  cwd: string,
  problems: ConfigProblem[],
): { config?: FileConfig; located?: Located } {
  const shown = displayPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push({
      code: 'CG_GATEWAY_CONFIG_UNREADABLE',
      severity: 'error',
      where: shown,
      message: `cannot read the config file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
    return {};
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problems.push({
        code: 'CG_GATEWAY_YAML_SYNTAX',
        severity: 'error',
        where: pos(e.pos[0]),
        message: e.message.split('\n')[0] ?? e.message,
      });
    return {};
  }
  const located: Located = {
    at(path) {
      // The deepest node that exists: a missing key is reported at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return pos(node.range[0]);
      }
      return shown;
    },
  };
  const raw: unknown = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      const extra = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
      problems.push({
        code: 'CG_GATEWAY_CONFIG_SCHEMA',
        severity: 'error',
        where: located.at(path),
        message: `${path.length > 0 ? `${formatPathText(path)}: ` : ''}${i.message}${extra}`,
      });
    }
    return { located };
  }
  return { config: parsed.data, located };
}

function formatPathText(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function engineProblems(
  issues: readonly ConfigIssue[],
  where: (issue: ConfigIssue) => string,
  keep: (issue: ConfigIssue) => boolean = () => true,
): ConfigProblem[] {
  return issues.filter(keep).map((i) => ({
    code: i.code,
    severity: i.severity,
    where: where(i),
    message: i.reason,
    suggestion: i.suggestion,
  }));
}

const FLAG_OF: Record<string, string> = {
  credentials: '--credentials',
  methods: '--methods',
  requestHeaders: '--request-headers',
  exposeHeaders: '--expose-headers',
  maxAge: '--max-age',
  preflightStatus: '--preflight-status',
};

/**
 * The policy fields the command line gives (`--credentials`, `--methods`, `--request-headers`,
 * `--expose-headers`, `--max-age`, `--preflight-status`), typed, and which of them were given.
 * `serve` lays them over the config file; `explain` over an allowlist, so both read the same
 * flags the same way.
 */
export function policyFromFlags(
  flags: FlagValues,
  problems: ConfigProblem[],
): { fields: PolicyFields; given: Set<string> } {
  const fromFlags: PolicyFields = {};
  const flagOrigin = new Set<string>();
  if (flags.credentials) {
    fromFlags.credentials = true;
    flagOrigin.add('credentials');
  }
  if (flags.methods !== undefined) {
    fromFlags.methods = list(flags.methods);
    flagOrigin.add('methods');
  }
  if (flags.requestHeaders !== undefined) {
    fromFlags.requestHeaders = list(flags.requestHeaders);
    flagOrigin.add('requestHeaders');
  }
  if (flags.exposeHeaders !== undefined) {
    fromFlags.exposeHeaders = list(flags.exposeHeaders);
    flagOrigin.add('exposeHeaders');
  }
  if (flags.maxAge !== undefined) {
    // The engine checks the range (CG_MAX_AGE_RANGE); here only that it is a number.
    const n = Number(flags.maxAge);
    fromFlags.maxAge = flags.maxAge.trim() === '' || Number.isNaN(n) ? Number.NaN : n;
    flagOrigin.add('maxAge');
  }
  if (flags.preflightStatus !== undefined) {
    if (flags.preflightStatus === '200' || flags.preflightStatus === '204') {
      fromFlags.preflightStatus = Number(flags.preflightStatus) as 200 | 204;
      flagOrigin.add('preflightStatus');
    } else
      problems.push({
        code: 'CG_PREFLIGHT_STATUS',
        severity: 'error',
        where: '--preflight-status',
        message: `"${flags.preflightStatus}" is not 200 or 204 (a preflight needs an ok status, R14)`,
      });
  }
  return { fields: fromFlags, given: flagOrigin };
}

/**
 * The policy the command line alone gives (no config file), validated by the engine as `serve`
 * validates it: each problem is located at its flag. `origins` come from the allowlist file.
 */
export function policyFromFlagsOnly(flags: FlagValues): {
  policy: CorsConfigWithoutOrigins;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const { fields } = policyFromFlags(flags, problems);
  const policy: CorsConfigWithoutOrigins = { ...fields };
  problems.push(
    ...engineProblems(
      validateConfig({ ...policy, origins: [] }),
      (i) => FLAG_OF[String(i.path[0])] ?? String(i.path[0]),
      (i) => i.path[0] !== 'origins',
    ),
  );
  return { policy, problems };
}

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
  const configDir = flags.config === undefined ? cwd : resolve(cwd, flags.config, '..');

  // Flags over the file's base policy.
  const intFlag = (name: string, value: string | undefined, min: number, max: number): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      problems.push({
        code: 'CG_GATEWAY_FLAG',
        severity: 'error',
        where: name,
        message: `"${value}" is not a whole number from ${min} to ${max}`,
      });
      return undefined;
    }
    return n;
  };
  const { fields: fromFlags, given: flagOrigin } = policyFromFlags(flags, problems);
  const policy: CorsConfigWithoutOrigins = { ...file.policy, ...fromFlags };
  const policyWhere = (i: ConfigIssue): string => {
    const key = i.path[0];
    if (typeof key === 'string' && flagOrigin.has(key)) return FLAG_OF[key] ?? key;
    return fileAt(['policy', ...i.path]);
  };
  // `origins` come from the allowlist file; validate the rest now, every problem at once.
  problems.push(
    ...engineProblems(
      validateConfig({ ...policy, origins: [] }),
      policyWhere,
      (i) => i.path[0] !== 'origins',
    ),
  );

  const routes: RouteConfig[] = [];
  (file.routes ?? []).forEach((r, index) => {
    const star = r.path.indexOf('*');
    const prefix = r.path.endsWith('/*') && star === r.path.length - 1;
    if (!r.path.startsWith('/') || (star >= 0 && !prefix)) {
      problems.push({
        code: 'CG_GATEWAY_ROUTE_PATH',
        severity: 'error',
        where: fileAt(['routes', index, 'path']),
        message: `route path "${r.path}" must start with "/" and may only end in "/*" (no other patterns)`,
      });
      return;
    }
    const merged: CorsConfigWithoutOrigins = { ...policy, ...r.policy };
    const own = new Set(Object.keys(r.policy ?? {}));
    const routeIssues = validateConfig({ ...merged, origins: r.origins ?? [] });
    problems.push(
      ...engineProblems(
        routeIssues,
        (i) =>
          i.path[0] === 'origins'
            ? fileAt(['routes', index, ...i.path])
            : fileAt(['routes', index, 'policy', ...i.path]),
        // Base-policy problems are reported once, above; here only the route's own fields.
        (i) => i.path[0] === 'origins' || own.has(String(i.path[0])),
      ),
    );
    routes.push({
      path: r.path,
      match: prefix ? r.path.slice(0, -1) : r.path,
      prefix,
      policy: merged,
      ...(r.origins === undefined ? {} : { origins: r.origins }),
      stripCookies: r.stripCookies ?? false,
    });
  });

  const upstreamText = flags.upstream ?? file.upstream;
  let upstream = '';
  let upstreamPath = '';
  if (upstreamText === undefined) {
    problems.push({
      code: 'CG_GATEWAY_UPSTREAM',
      severity: 'error',
      where: '--upstream',
      message: 'the upstream URL is required (e.g. --upstream http://127.0.0.1:3000)',
    });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(upstreamText);
    } catch {
      url = undefined;
    }
    const where = flags.upstream !== undefined ? '--upstream' : fileAt(['upstream']);
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({
        code: 'CG_GATEWAY_UPSTREAM',
        severity: 'error',
        where,
        message: `"${upstreamText}" is not an http:// or https:// URL`,
      });
    } else if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      problems.push({
        code: 'CG_GATEWAY_UPSTREAM',
        severity: 'error',
        where,
        message: `"${upstreamText}" may have a path but no query, fragment or user name`,
      });
    } else {
      upstream = url.origin;
      upstreamPath = url.pathname.replace(/\/+$/, '');
    }
  }

  const port = intFlag('--port', flags.port, 0, 65535) ?? file.listen?.port ?? DEFAULTS.port;
  const adminPort =
    intFlag('--admin-port', flags.adminPort, 0, 65535) ?? file.admin?.port ?? DEFAULTS.adminPort;
  let workers = 1;
  const workersText = flags.workers ?? (file.workers === undefined ? undefined : String(file.workers));
  if (workersText === 'auto') workers = availableParallelism();
  else if (workersText !== undefined) workers = intFlag('--workers', workersText, 1, 256) ?? 1;
  const upstreamTimeoutMs =
    intFlag('--upstream-timeout', flags.upstreamTimeout, 1, 86_400_000) ??
    file.upstreamTimeoutMs ??
    DEFAULTS.upstreamTimeoutMs;
  const logLevel = flags.logLevel ?? file.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.has(logLevel))
    problems.push({
      code: 'CG_GATEWAY_FLAG',
      severity: 'error',
      where: '--log-level',
      message: `"${logLevel}" is not one of ${[...LOG_LEVELS].join(', ')}`,
    });

  let tls: { cert: string; key: string } | undefined;
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined)
      problems.push({
        code: 'CG_GATEWAY_FLAG',
        severity: 'error',
        where: flags.tlsCert === undefined ? '--tls-cert' : '--tls-key',
        message: '--tls-cert and --tls-key go together',
      });
    else tls = { cert: resolve(cwd, flags.tlsCert), key: resolve(cwd, flags.tlsKey) };
  } else if (file.listen?.tls !== undefined) {
    tls = { cert: resolve(configDir, file.listen.tls.cert), key: resolve(configDir, file.listen.tls.key) };
  }

  // A Redis URL is a source, not a path: only file paths resolve against a directory.
  const allowlist =
    flags.allowlist !== undefined
      ? sourceOrPath(cwd, flags.allowlist)
      : file.allowlist !== undefined
        ? sourceOrPath(configDir, file.allowlist)
        : resolve(cwd, DEFAULTS.allowlist);
  const allowlistCache =
    flags.allowlistCache !== undefined
      ? resolve(cwd, flags.allowlistCache)
      : file.allowlistCache !== undefined
        ? resolve(configDir, file.allowlistCache)
        : undefined;
  if (allowlistCache !== undefined && !isRedisSource(allowlist))
    problems.push({
      code: 'CG_GATEWAY_FLAG',
      severity: 'error',
      where: flags.allowlistCache !== undefined ? '--allowlist-cache' : 'allowlistCache',
      message: 'a cache only serves a Redis allowlist (--allowlist redis://…); the file is its own cache',
    });

  const adminHost = flags.adminHost ?? file.admin?.host ?? DEFAULTS.adminHost;
  const adminTokens = loadAdminTokens(flags, cwd, problems);
  if (adminPort !== 0 && adminTokens.length === 0 && !isLoopbackHost(adminHost))
    problems.push({
      code: 'CG_GATEWAY_ADMIN_EXPOSED',
      severity: 'error',
      where: '--admin-host',
      message: `the admin listener on ${adminHost} is reachable from other machines; give --admin-token-file FILE (or CORSGATE_ADMIN_TOKENS) so every admin request needs a token, or bind it to 127.0.0.1`,
    });

  const websocketIdleTimeoutMs =
    intFlag('--websocket-idle-timeout', flags.websocketIdleTimeout, 0, 86_400_000) ??
    file.websocketIdleTimeoutMs ??
    DEFAULTS.websocketIdleTimeoutMs;
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return {
    problems,
    config: {
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
      auditFile:
        flags.auditFile !== undefined
          ? resolve(cwd, flags.auditFile)
          : // A Redis URL is not a directory to write beside: the audit file goes in the working directory.
            isRedisSource(allowlist)
            ? resolve(cwd, 'corsgate.audit.jsonl')
            : `${allowlist}.audit.jsonl`,
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

/** Named admin tokens from `--admin-token-file`, else from `CORSGATE_ADMIN_TOKENS` (docs/console.md). */
function loadAdminTokens(flags: FlagValues, cwd: string, problems: ConfigProblem[]): AdminToken[] {
  let text: string;
  let where: string;
  let separator = /\r?\n/;
  if (flags.adminTokenFile !== undefined) {
    where = '--admin-token-file';
    try {
      text = readFileSync(resolve(cwd, flags.adminTokenFile), 'utf8');
    } catch (error) {
      problems.push({
        code: 'CG_GATEWAY_ADMIN_TOKENS',
        severity: 'error',
        where,
        message: `cannot read ${flags.adminTokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      });
      return [];
    }
  } else {
    const env = process.env['CORSGATE_ADMIN_TOKENS'];
    if (env === undefined || env.trim() === '') return [];
    where = 'CORSGATE_ADMIN_TOKENS';
    text = env;
    separator = /[\r\n,]+/;
  }
  const parsed = parseTokens(text, separator);
  for (const message of parsed.problems)
    problems.push({ code: 'CG_GATEWAY_ADMIN_TOKENS', severity: 'error', where, message });
  if (parsed.problems.length === 0 && parsed.tokens.length === 0)
    problems.push({
      code: 'CG_GATEWAY_ADMIN_TOKENS',
      severity: 'error',
      where,
      message: 'no name:token entry',
    });
  return parsed.tokens;
}

function sourceOrPath(dir: string, source: string): string {
  return isRedisSource(source) ? source : resolve(dir, source);
}
