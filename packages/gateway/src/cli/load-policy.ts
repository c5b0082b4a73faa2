/**
 * Loads a policy from the files the CLI accepts: an allowlist file (via `corsgate/allowlist`'s
 * `parseAllowlist`) or a JSON config file (the engine's `CorsConfig`). Errors come back as
 * printable lines with stable codes, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type ConfigIssue,
  type CorsConfig,
  CorsConfigError,
  type CorsConfigWithoutOrigins,
  createPolicy,
  formatIssue,
  formatProblem,
  type Policy,
} from 'corsgate';
import {
  AllowlistError,
  type AllowlistSnapshot,
  formatAllowlistError,
  formatAllowlistIssue,
  parseAllowlist,
} from 'corsgate/allowlist';
import { formatPath } from 'corsgate/internal';
import { type FlagValues, loadConfig } from '../config/load.js';
import { type ConfigProblem, formatRouteIssue } from '../config/types.js';
import { RouteTable } from '../decide/routes.js';
import { shownSource, sourceFor } from '../sources/index.js';

export type Loaded =
  | { ok: true; policy: Policy; warnings: string[]; route?: string }
  | { ok: false; errors: string[] };

/**
 * The bytes of an allowlist source: a file, or the version a shared source stores
 * (docs/sources.md), so `explain` and `lint` judge exactly what the fleet would apply. A problem
 * comes back as one problem line with its code.
 */
async function readSource(address: string, cwd: string): Promise<Uint8Array | string> {
  const source = sourceFor(address, cwd);
  try {
    return (await source.pull()).bytes;
  } catch (e) {
    if (!(e instanceof AllowlistError)) throw e;
    return formatAllowlistError(e, source.shown).join('\n');
  }
}

/** A JSON config file's bytes, or its problem line. */
async function read(
  path: string,
  codes: { missing: ConfigProblem['code']; unreadable: ConfigProblem['code'] },
): Promise<Buffer | string> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return formatProblem(
      code === 'ENOENT'
        ? { where: path, severity: 'error', code: codes.missing, message: 'the file does not exist' }
        : {
            where: path,
            severity: 'error',
            code: codes.unreadable,
            message: `cannot read it (${code ?? (e as Error).message})`,
          },
    );
  }
}

const CONFIG_READ = {
  missing: 'CG_GATEWAY_CONFIG_UNREADABLE',
  unreadable: 'CG_GATEWAY_CONFIG_UNREADABLE',
} as const;

/** A JSON config's problem, located by file and config path: `cfg.json:origins[2]: error …`. */
function jsonIssue(file: string, found: ConfigIssue): string {
  return formatIssue(found, `${file}:${formatPath(found.path)}`);
}

export async function loadAllowlistPolicy(
  cwd: string,
  file: string,
  options: CorsConfigWithoutOrigins,
): Promise<Loaded> {
  const bytes = await readSource(file, cwd);
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  const parsed = parseAllowlist(bytes, options);
  if (parsed.errors.length > 0 || parsed.policy === undefined)
    return { ok: false, errors: parsed.errors.map((i) => formatAllowlistIssue(i, shownSource(file))) };
  return {
    ok: true,
    policy: parsed.policy,
    warnings: parsed.warnings.map((i) => formatAllowlistIssue(i, shownSource(file))),
  };
}

export async function loadConfigPolicy(
  cwd: string,
  file: string,
  overrides: Partial<CorsConfig>,
): Promise<Loaded> {
  const bytes = await read(resolve(cwd, file), CONFIG_READ);
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    const message = `not valid JSON (${(e as Error).message})`;
    return {
      ok: false,
      errors: [formatProblem({ where: file, severity: 'error', code: 'CG_CONFIG_TYPE', message })],
    };
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    return {
      ok: false,
      errors: [
        formatProblem({
          where: file,
          severity: 'error',
          code: 'CG_CONFIG_TYPE',
          message: 'the configuration must be a JSON object',
        }),
      ],
    };
  try {
    const policy = createPolicy({ ...(config as CorsConfig), ...overrides });
    return { ok: true, policy, warnings: policy.warnings.map((i) => jsonIssue(file, i)) };
  } catch (e) {
    if (!(e instanceof CorsConfigError)) throw e;
    return { ok: false, errors: e.issues.map((i) => jsonIssue(file, i)) };
  }
}

/**
 * A gateway YAML config (`corsgate serve --config`), through the gateway's own loader: its policy
 * (with the policy flags laid over it, as `serve` does) over the allowlist file it names, and
 * with `path` the route the gateway would pick for it.
 */
export async function loadYamlPolicy(
  cwd: string,
  file: string,
  path: string | undefined,
  policyFlags: FlagValues = {},
): Promise<Loaded> {
  const { config, problems } = loadConfig({ ...policyFlags, config: file }, cwd);
  const warnings = problems.filter((p) => p.severity === 'warning').map(formatProblem);
  if (config === undefined)
    return { ok: false, errors: problems.filter((p) => p.severity === 'error').map(formatProblem) };
  const bytes = await readSource(config.allowlist, cwd);
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  const parsed = parseAllowlist(bytes, config.policy);
  if (parsed.errors.length > 0 || parsed.policy === undefined)
    return {
      ok: false,
      errors: parsed.errors.map((i) => formatAllowlistIssue(i, shownSource(config.allowlist))),
    };
  warnings.push(...parsed.warnings.map((i) => formatAllowlistIssue(i, shownSource(config.allowlist))));
  if (path === undefined) return { ok: true, policy: parsed.policy, warnings };
  const snapshot: AllowlistSnapshot = {
    policy: parsed.policy,
    version: 1,
    hash: '',
    entries: parsed.entries,
    warnings: parsed.warnings,
    loadedAt: Date.now(),
  };
  const routes = new RouteTable(config.routes);
  const errors: string[] = [];
  routes.onRouteError = (route, error) => {
    errors.push(...error.issues.map((i) => formatRouteIssue(route.path, i)));
  };
  routes.prepare(snapshot);
  const hit = routes.resolve(path);
  if (errors.length > 0) return { ok: false, errors };
  if (hit === undefined) return { ok: true, policy: parsed.policy, warnings };
  return { ok: true, policy: hit.policy, warnings, route: hit.route?.path ?? path };
}
