/**
 * `corsgate export nginx`: the same inputs as `serve` (allowlist, policy flags or the YAML config)
 * compiled into two nginx includes (docs/nginx.md). A policy plain nginx directives cannot decide
 * exactly as the engine does is refused with a CG_EXPORT_ code (docs/errors.md), never exported.
 */
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatProblem } from 'corsgate';
import { formatAllowlistError } from 'corsgate/allowlist';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo, Command } from '../cli/io.js';
import { layerEnvironment, type OptionValue, relocate } from '../config/env.js';
import { type FlagValues, loadConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import { nginxHttpInclude, nginxNjsModule, nginxServerInclude } from '../export/nginx.js';
import { buildPlan } from '../export/plan.js';
import { gatewayVersion } from '../package-version.js';
import { AllowlistError, type AllowlistWatcher, openAllowlist } from '../server/allowlist.js';
import { type ExportOutcome, type ExportStatus, startStatusListener } from './export-status.js';
import { FLAG_KEYS, SERVE_OPTIONS } from './serve.js';

export const EXPORT_HELP = `Usage: corsgate export nginx --upstream URL --out DIR [serve's options]

Compiles the allowlist and the policy into nginx includes in DIR (docs/nginx.md):
corsgate-http.conf (include it in http {}), corsgate-server.conf (include it in server {}) and
corsgate.js (the njs module the first imports; load ngx_http_js_module).
Takes the same allowlist, policy flags and --config as \`corsgate serve\`. A policy plain nginx
directives cannot decide exactly as the engine does is refused (CG_EXPORT_..., docs/errors.md).
  --out DIR                 where to write the three files (each replaced atomically)
  --watch                   keep running: write the includes for every applied version of the list
  --check-command CMD       with --watch: run before each reload; a failure puts the last good
                            includes back (default: nginx -t)
  --reload-command CMD      with --watch: run after a version passed the check (e.g. nginx -s reload)
  --admin-port PORT         with --watch: GET /export on --admin-host shows the version nginx runs
  --dangerously-without-njs no njs module: the first line of a repeated Origin or
                            Access-Control-Request-Headers decides, and only the canonical
                            request-header list browsers send is allowed (docs/nginx.md)
`;

const EXPORT_OPTIONS = {
  ...SERVE_OPTIONS,
  out: { type: 'string' },
  watch: { type: 'boolean' },
  'check-command': { type: 'string' },
  'reload-command': { type: 'string' },
  'dangerously-without-njs': { type: 'boolean' },
} as const;

/** serve's flags through serve's own loader: the same configuration, the same problems. */
function loadServeConfig(values: Record<string, OptionValue>, io: CliIo): GatewayConfig | undefined {
  const {
    out: _out,
    watch: _w,
    'check-command': _c,
    'reload-command': _r,
    'dangerously-without-njs': _n,
    ...given
  } = values;
  const layered = layerEnvironment(SERVE_OPTIONS, given, io.env);
  const flags: FlagValues = {};
  for (const [option, key] of Object.entries(FLAG_KEYS)) {
    const value = layered.values[option];
    if (value !== undefined) (flags as Record<string, OptionValue>)[key] = value;
  }
  const loaded = loadConfig(flags, io.cwd);
  const problems = [...layered.problems, ...relocate(loaded.problems, layered.sources)];
  for (const p of problems) io.stderr.write(`${formatProblem(p)}\n`);
  if (layered.problems.some((p) => p.severity === 'error')) return undefined;
  return loaded.config;
}

/** Writes a file by a temporary beside it and a rename: nginx never reads half a file. */
export function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export const exportCommand: Command = async (argv, io) => {
  const [target, ...rest] = argv;
  if (target === '--help' || target === '-h') {
    io.stdout.write(EXPORT_HELP);
    return EXIT.OK;
  }
  if (target !== 'nginx') {
    io.stderr.write(
      `corsgate export: give the target: corsgate export nginx (got ${target ?? 'nothing'})\n${EXPORT_HELP}`,
    );
    return EXIT.INVALID;
  }
  const parsed = parseCommandArgs('export', rest, EXPORT_OPTIONS, EXPORT_HELP, io, false);
  if (typeof parsed === 'number') return parsed;
  const { help: _help, ...values } = parsed.values as Record<string, OptionValue>;
  const out = values.out;
  if (typeof out !== 'string') {
    io.stderr.write('corsgate export nginx: --out DIR is required\n');
    return EXIT.INVALID;
  }
  const config = loadServeConfig(values, io);
  if (config === undefined) {
    io.stderr.write('corsgate export nginx: invalid configuration; nothing written\n');
    return EXIT.INVALID;
  }
  let watcher: AllowlistWatcher;
  try {
    watcher = await openAllowlist(config.allowlist, config.policy, config);
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    for (const line of formatAllowlistError(error, config.allowlist)) io.stderr.write(`${line}\n`);
    io.stderr.write(`corsgate export nginx: the allowlist cannot be used (${error.code}); nothing written\n`);
    return EXIT.INVALID;
  }
  const dir = resolve(io.cwd, out);
  const njs = values['dangerously-without-njs'] !== true;
  const written = writeVersion(config, watcher, dir, njs, io);
  if (written === undefined || values.watch !== true) {
    await watcher.close();
    return written === undefined ? EXIT.INVALID : EXIT.OK;
  }
  const reload = values['reload-command'];
  if (typeof reload !== 'string') {
    await watcher.close();
    io.stderr.write('corsgate export nginx: --watch needs --reload-command\n');
    return EXIT.INVALID;
  }
  const check = typeof values['check-command'] === 'string' ? values['check-command'] : 'nginx -t';
  // The admin listener only when asked for: serve's default port may be a running gateway's.
  const admin = values['admin-port'] !== undefined && config.adminPort !== 0;
  return watchVersions(config, watcher, { dir, njs, admin }, { check, reload }, io);
};

const INCLUDES = ['corsgate.js', 'corsgate-http.conf', 'corsgate-server.conf'] as const;

/** Writes the includes for the version in force; the texts written, or undefined when refused. */
function writeVersion(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  dir: string,
  njs: boolean,
  io: CliIo,
): readonly string[] | undefined {
  const result = buildPlan({
    policy: watcher.current.policy.config(),
    publicOrigins: config.publicOrigins,
    reportOnly: config.reportOnly,
    routes: config.routes,
    caseSensitiveRoutes: config.dangerouslyCaseSensitiveRoutes,
    escapedPaths: config.escapedPaths,
    upstream: config.upstream,
    upstreamPath: config.upstreamPath,
    njs,
  });
  if (!result.ok) {
    for (const r of result.refusals) io.stderr.write(`corsgate export nginx: error ${r.code} ${r.message}\n`);
    io.stderr.write('corsgate export nginx: not exportable exactly; nothing written (docs/nginx.md)\n');
    return undefined;
  }
  const version = `corsgate ${gatewayVersion()}, list ${watcher.current.hash.slice(0, 12)}`;
  const texts = [
    nginxNjsModule(result.plan),
    nginxHttpInclude(result.plan, version, join(dir, INCLUDES[0])),
    nginxServerInclude(result.plan, version),
  ];
  for (const [i, name] of INCLUDES.entries()) writeAtomically(join(dir, name), texts[i]!);
  io.stdout.write(`corsgate export nginx: wrote ${INCLUDES.join(', ')} in ${dir}\n`);
  return texts;
}

function runShell(command: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    execFile('sh', ['-c', command], { timeout: 30_000 }, (error, stdout, stderr) =>
      done({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/**
 * Every applied version of the list (the source's `reloaded` and `recovered` events): written,
 * checked, then reloaded; a version the exporter refuses or the check fails never reaches nginx,
 * and the last good includes are put back (docs/nginx.md "Kept current").
 */
async function watchVersions(
  config: GatewayConfig,
  watcher: AllowlistWatcher,
  { dir, njs, admin }: { dir: string; njs: boolean; admin: boolean },
  commands: { check: string; reload: string },
  io: CliIo,
): Promise<number> {
  let good: readonly string[] = INCLUDES.map((name) => readFileSync(join(dir, name), 'utf8'));
  let queue = Promise.resolve();
  const now = () => new Date().toISOString();
  // nginx was started on the first version by whoever runs this (docs/nginx.md).
  const status: ExportStatus = {
    target: 'nginx',
    out: dir,
    list: { hash: watcher.current.hash },
    nginx: { hash: watcher.current.hash, reloadedAt: null },
    last: { outcome: 'started', at: now(), detail: null },
  };
  const outcome = (o: ExportOutcome, detail: string | null) => {
    status.last = { outcome: o, at: now(), detail };
  };
  const apply = async (): Promise<void> => {
    const hash = watcher.current.hash;
    status.list = { hash };
    const texts = writeVersion(config, watcher, dir, njs, io);
    if (texts === undefined) return outcome('refused', 'not exportable exactly (CG_EXPORT_…, on stderr)');
    const checked = await runShell(commands.check);
    if (!checked.ok) {
      for (const [i, name] of INCLUDES.entries()) writeAtomically(join(dir, name), good[i]!);
      io.stderr.write(`corsgate export nginx: check failed, last good version kept: ${checked.output}\n`);
      return outcome('check-failed', checked.output);
    }
    const reloaded = await runShell(commands.reload);
    good = texts;
    if (!reloaded.ok) {
      io.stderr.write(`corsgate export nginx: reload failed: ${reloaded.output}\n`);
      return outcome('reload-failed', reloaded.output);
    }
    io.stdout.write(`corsgate export nginx: reloaded ${hash.slice(0, 12)}\n`);
    status.nginx = { hash, reloadedAt: now() };
    outcome('reloaded', null);
  };
  const listener = admin ? await startStatusListener(config.adminHost, config.adminPort, status) : undefined;
  if (listener !== undefined)
    io.stdout.write(`corsgate export nginx: admin listening on ${listener.url}/export\n`);
  const off = watcher.on((event) => {
    if (event.type === 'reloaded' || event.type === 'recovered') queue = queue.then(apply);
    else if (event.type === 'rejected') {
      outcome('rejected', `${event.errors.length} errors in the list; nginx keeps the last good version`);
      io.stderr.write(
        `corsgate export nginx: list version rejected (${event.errors.length} errors); nginx keeps the last good one\n`,
      );
    }
  });
  io.stdout.write('corsgate export nginx: watching the list\n');
  // The source's watchers do not hold the process open (a library must not): this does, until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((stop) => {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  clearInterval(keepAlive);
  off();
  await queue;
  await listener?.close();
  await watcher.close();
  return EXIT.OK;
}
