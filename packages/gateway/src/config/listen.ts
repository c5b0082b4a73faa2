/**
 * The listeners' and the process's numbers and switches: whole-number flags within their bounds,
 * the log level, and the TLS certificate and key (both or neither).
 */
import { resolve } from 'node:path';
import type { FlagValues } from './flags.js';
import type { FileConfig } from './schema.js';
import type { ConfigProblem } from './types.js';

export const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A whole-number flag from `min` to `max`; undefined when not given or refused (`CG_GATEWAY_FLAG`). */
export function wholeNumberFlag(
  problems: ConfigProblem[],
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
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
}

/** The log level, one of `LOG_LEVELS`. */
export function logLevelOf(value: string, problems: ConfigProblem[]): string {
  if (!LOG_LEVELS.has(value))
    problems.push({
      code: 'CG_GATEWAY_FLAG',
      severity: 'error',
      where: '--log-level',
      message: `"${value}" is not one of ${[...LOG_LEVELS].join(', ')}`,
    });
  return value;
}

/** The TLS files: both flags (against the working directory) or the file's (against its directory). */
export function tlsFiles(
  flags: FlagValues,
  file: FileConfig,
  dirs: { cwd: string; configDir: string },
  problems: ConfigProblem[],
): { cert: string; key: string } | undefined {
  const { cwd, configDir } = dirs;
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
  return tls;
}
