/**
 * The allowlist source: a file path (resolved against the working directory for a flag, the config
 * file's directory for the file's field) or a Redis URL (docs/sources.md), and the local cache that
 * only a Redis source has.
 */
import { resolve } from 'node:path';
import { sourceFor } from '../sources/index.js';
import { DEFAULTS } from './defaults.js';
import type { FlagValues } from './flags.js';
import type { FileConfig } from './schema.js';
import type { ConfigProblem } from './types.js';

export function allowlistSource(
  flags: FlagValues,
  file: FileConfig,
  dirs: { cwd: string; configDir: string },
  problems: ConfigProblem[],
): { allowlist: string; allowlistCache: string | undefined } {
  const { cwd, configDir } = dirs;
  // A URL is a source, not a path: only file paths resolve against a directory.
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
  if (allowlistCache !== undefined && !sourceFor(allowlist).cacheable)
    problems.push({
      code: 'CG_GATEWAY_FLAG',
      severity: 'error',
      where: flags.allowlistCache !== undefined ? '--allowlist-cache' : 'allowlistCache',
      message: 'a cache only serves a Redis allowlist (--allowlist redis://…); the file is its own cache',
    });
  return { allowlist, allowlistCache };
}

/** The audit log's file: the flag's, else the source's default (beside a file; a URL is no directory). */
export function auditFileFor(flags: FlagValues, allowlist: string, cwd: string): string {
  if (flags.auditFile !== undefined) return resolve(cwd, flags.auditFile);
  return sourceFor(allowlist, cwd).defaultAuditFile(cwd);
}

/** A path resolves against `dir`; a source URL stays as given. */
function sourceOrPath(dir: string, source: string): string {
  return sourceFor(source, dir).address;
}
