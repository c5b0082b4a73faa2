/**
 * Loads a policy from the files the CLI accepts: an allowlist file (via `corsgate/allowlist`'s
 * `parseAllowlist`) or a JSON config file (the engine's `CorsConfig`). Errors come back as
 * printable lines with stable codes, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isRedisSource, parseRedisSource, pullRedisAllowlist } from '@corsgate/redis';
import {
  type CorsConfig,
  CorsConfigError,
  type CorsConfigWithoutOrigins,
  createPolicy,
  formatIssue,
  type Policy,
} from 'corsgate';
import {
  AllowlistError,
  type AllowlistSnapshot,
  formatAllowlistIssue,
  parseAllowlist,
} from 'corsgate/allowlist';
import { type FlagValues, loadConfig } from '../config/load.js';
import { formatProblem } from '../config/types.js';
import { RouteTable } from '../server/routes.js';

export type Loaded =
  | { ok: true; policy: Policy; warnings: string[]; route?: string }
  | { ok: false; errors: string[] };

/**
 * The bytes of an allowlist source: a file, or the version stored in Redis (docs/sources.md), so
 * `explain` and `lint` judge exactly what the fleet would apply. A problem comes back as a line.
 */
async function read(path: string): Promise<Buffer | string> {
  if (isRedisSource(path)) {
    try {
      const stored = await pullRedisAllowlist(path);
      if (stored === undefined)
        return `${path}: error CG_ALLOWLIST_MISSING: nothing was pushed to this source yet`;
      return Buffer.from(stored.text, 'utf8');
    } catch (e) {
      if (!(e instanceof AllowlistError)) throw e;
      return `${shownSource(path)}: error ${e.code}: ${e.message.replace(/^corsgate: /, '')}`;
    }
  }
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${path}: error CG_ALLOWLIST_MISSING: the file does not exist`
      : `${path}: error CG_ALLOWLIST_UNREADABLE: cannot read it (${code ?? (e as Error).message})`;
  }
}

export async function loadAllowlistPolicy(
  cwd: string,
  file: string,
  options: CorsConfigWithoutOrigins,
): Promise<Loaded> {
  const bytes = await read(isRedisSource(file) ? file : resolve(cwd, file));
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  const parsed = parseAllowlist(new Uint8Array(bytes), options);
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
  const bytes = await read(resolve(cwd, file));
  if (typeof bytes === 'string')
    return { ok: false, errors: [bytes.replace(/error CG_ALLOWLIST_\w+: /, 'error: ')] };
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, errors: [`${file}: error CG_CONFIG_TYPE: not valid JSON (${(e as Error).message})`] };
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    return { ok: false, errors: [`${file}: error CG_CONFIG_TYPE: the configuration must be a JSON object`] };
  try {
    const policy = createPolicy({ ...(config as CorsConfig), ...overrides });
    return { ok: true, policy, warnings: policy.warnings.map((i) => `${file}: ${formatIssue(i)}`) };
  } catch (e) {
    if (!(e instanceof CorsConfigError)) throw e;
    return { ok: false, errors: e.issues.map((i) => `${file}: ${formatIssue(i)}`) };
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
  const bytes = await read(config.allowlist);
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  const parsed = parseAllowlist(new Uint8Array(bytes), config.policy);
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
    errors.push(...error.issues.map((i) => `route ${route.path}: ${formatIssue(i)}`));
  };
  routes.prepare(snapshot);
  const hit = routes.resolve(path);
  if (errors.length > 0) return { ok: false, errors };
  if (hit === undefined) return { ok: true, policy: parsed.policy, warnings };
  return { ok: true, policy: hit.policy, warnings, route: hit.route?.path ?? path };
}

/** A Redis URL as printed: without its password. */
export function shownSource(source: string): string {
  if (!isRedisSource(source)) return source;
  try {
    return parseRedisSource(source).display;
  } catch {
    return source.replace(/\/\/[^@/]*@/, '//***@');
  }
}
