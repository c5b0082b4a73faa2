/**
 * The admin listener's settings that need checking: its named tokens (docs/console.md
 * "Authentication"), and that a listener other machines can reach never runs without them.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type AdminToken, isLoopbackHost, parseTokens } from './admin-tokens.js';
import type { FlagValues } from './flags.js';
import type { ConfigProblem } from './types.js';

/**
 * The admin tokens, refusing (`CG_GATEWAY_ADMIN_EXPOSED`) an admin listener off loopback without
 * any: every admin request there must carry a token.
 */
export function adminTokensFor(
  flags: FlagValues,
  cwd: string,
  admin: { host: string; port: number },
  problems: ConfigProblem[],
): AdminToken[] {
  const adminHost = admin.host;
  const adminTokens = loadAdminTokens(flags, cwd, problems);
  if (admin.port !== 0 && adminTokens.length === 0 && !isLoopbackHost(adminHost))
    problems.push({
      code: 'CG_GATEWAY_ADMIN_EXPOSED',
      severity: 'error',
      where: '--admin-host',
      message: `the admin listener on ${adminHost} is reachable from other machines; give --admin-token-file FILE (or CORSGATE_ADMIN_TOKENS) so every admin request needs a token, or bind it to 127.0.0.1`,
    });
  return adminTokens;
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
