/**
 * Named admin tokens (docs/console.md "Authentication"): `--admin-token-file FILE` with one
 * `name:token` a line, or the `CORSGATE_ADMIN_TOKENS` environment variable with the same entries
 * separated by newlines or commas. A presented token is compared with every configured one in
 * constant time: both sides are hashed to equal-length SHA-256 digests first, because
 * `timingSafeEqual` needs equal lengths and a length check would itself leak the length.
 * In `config/`, which parses them, below `admin/`, which verifies them: imports only look down.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Shortest token accepted: 16 characters (~96 bits of a base64 secret). */
export const MIN_TOKEN_LENGTH = 16;
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const TOKEN_RE = /^[\x21-\x7e]+$/;

export interface AdminToken {
  readonly name: string;
  readonly digest: Buffer;
}

export interface TokenParseResult {
  readonly tokens: AdminToken[];
  /** One sentence each, with the entry's line (1-based); never the token itself. */
  readonly problems: string[];
}

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** Parses `name:token` entries; lines starting with `#` and blank lines are skipped. */
export function parseTokens(text: string, separator: RegExp = /\r?\n/): TokenParseResult {
  const tokens: AdminToken[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  text.split(separator).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `entry ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) {
      problems.push(`${at}: expected name:token`);
      return;
    }
    const name = line.slice(0, colon).trim();
    const token = line.slice(colon + 1).trim();
    if (!NAME_RE.test(name)) problems.push(`${at}: the name must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (names.has(name)) problems.push(`${at}: the name "${name}" is listed twice`);
    else if (token.length < MIN_TOKEN_LENGTH || !TOKEN_RE.test(token))
      problems.push(
        `${at} ("${name}"): the token must be at least ${MIN_TOKEN_LENGTH} visible ASCII characters without spaces`,
      );
    else {
      names.add(name);
      tokens.push({ name, digest: digestOf(token) });
    }
  });
  return { tokens, problems };
}

/**
 * The name of the token presented in `Authorization: Bearer TOKEN`, or undefined. Every configured
 * token is compared (no early exit), so the time taken does not say which one came close.
 */
export function verifyBearer(
  tokens: readonly AdminToken[],
  authorization: string | undefined,
): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (m === null) return undefined;
  return verifyToken(tokens, m[1]!);
}

export function verifyToken(tokens: readonly AdminToken[], presented: string): string | undefined {
  const digest = digestOf(presented);
  let found: string | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, digest) && found === undefined) found = t.name;
  return found;
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}
