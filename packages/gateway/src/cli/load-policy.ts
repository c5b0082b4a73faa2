/**
 * Loads a policy from the files the CLI accepts: an allowlist file (via `corsgate/allowlist`'s
 * `parseAllowlist`) or a JSON config file (the engine's `CorsConfig`). Errors come back as
 * printable lines with stable codes, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CorsConfig, CorsConfigError, createPolicy, formatIssue, type Policy } from 'corsgate';
import { formatAllowlistIssue, parseAllowlist } from 'corsgate/allowlist';

export type Loaded = { ok: true; policy: Policy; warnings: string[] } | { ok: false; errors: string[] };

async function read(path: string): Promise<Buffer | string> {
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
  options: Omit<CorsConfig, 'origins'>,
): Promise<Loaded> {
  const bytes = await read(resolve(cwd, file));
  if (typeof bytes === 'string') return { ok: false, errors: [bytes] };
  const parsed = parseAllowlist(new Uint8Array(bytes), options);
  if (parsed.errors.length > 0 || parsed.policy === undefined)
    return { ok: false, errors: parsed.errors.map((i) => formatAllowlistIssue(i, file)) };
  return {
    ok: true,
    policy: parsed.policy,
    warnings: parsed.warnings.map((i) => formatAllowlistIssue(i, file)),
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
