/**
 * `corsgate export nginx`: the same inputs as `serve` (allowlist, policy flags or the YAML config)
 * compiled into two nginx includes (docs/nginx.md). A policy plain nginx directives cannot decide
 * exactly as the engine does is refused with a CG_EXPORT_ code (docs/errors.md), never exported.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatProblem } from 'corsgate';
import { formatAllowlistError } from 'corsgate/allowlist';
import { parseCommandArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import type { CliIo, Command } from '../cli/io.js';
import { layerEnvironment, type OptionValue, relocate } from '../config/env.js';
import { type FlagValues, loadConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import { nginxHttpInclude, nginxServerInclude } from '../export/nginx.js';
import { buildPlan } from '../export/plan.js';
import { gatewayVersion } from '../package-version.js';
import { AllowlistError, openAllowlist } from '../server/allowlist.js';
import { FLAG_KEYS, SERVE_OPTIONS } from './serve.js';

export const EXPORT_HELP = `Usage: corsgate export nginx --upstream URL --out DIR [serve's options]

Compiles the allowlist and the policy into two nginx includes in DIR (docs/nginx.md):
corsgate-http.conf (include it in http {}) and corsgate-server.conf (include it in server {}).
Takes the same allowlist, policy flags and --config as \`corsgate serve\`. A policy plain nginx
directives cannot decide exactly as the engine does is refused (CG_EXPORT_..., docs/errors.md).
  --out DIR                 where to write the two includes (each replaced atomically)
`;

const EXPORT_OPTIONS = { ...SERVE_OPTIONS, out: { type: 'string' } } as const;

/** serve's flags through serve's own loader: the same configuration, the same problems. */
function loadServeConfig(values: Record<string, OptionValue>, io: CliIo): GatewayConfig | undefined {
  const { out: _out, ...given } = values;
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
  let watcher: Awaited<ReturnType<typeof openAllowlist>>;
  try {
    watcher = await openAllowlist(config.allowlist, config.policy, config);
  } catch (error) {
    if (!(error instanceof AllowlistError)) throw error;
    for (const line of formatAllowlistError(error, config.allowlist)) io.stderr.write(`${line}\n`);
    io.stderr.write(`corsgate export nginx: the allowlist cannot be used (${error.code}); nothing written\n`);
    return EXIT.INVALID;
  }
  try {
    const result = buildPlan({
      policy: watcher.current.policy.config(),
      publicOrigins: config.publicOrigins,
      reportOnly: config.reportOnly,
      routes: config.routes.length,
      upstream: config.upstream + config.upstreamPath,
    });
    if (!result.ok) {
      for (const r of result.refusals)
        io.stderr.write(`corsgate export nginx: error ${r.code} ${r.message}\n`);
      io.stderr.write('corsgate export nginx: not exportable exactly; nothing written (docs/nginx.md)\n');
      return EXIT.INVALID;
    }
    const version = `corsgate ${gatewayVersion()}`;
    const dir = resolve(io.cwd, out);
    writeAtomically(join(dir, 'corsgate-http.conf'), nginxHttpInclude(result.plan, version));
    writeAtomically(join(dir, 'corsgate-server.conf'), nginxServerInclude(result.plan, version));
    io.stdout.write(
      `corsgate export nginx: wrote ${join(dir, 'corsgate-http.conf')} and corsgate-server.conf\n`,
    );
    return EXIT.OK;
  } finally {
    await watcher.close();
  }
};
