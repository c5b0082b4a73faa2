/**
 * Allowlist source addresses (docs/sources.md): `redis://[user:password@]host:port[/db][?key=NAME]`
 * or `rediss://` for TLS; anything else is a file path. The password never appears in what is
 * shown (`/allowlist`, logs, errors).
 */
import { AllowlistError } from 'corsgate/allowlist';

export const DEFAULT_KEY = 'corsgate:allowlist';

export interface RedisTarget {
  /** The URL handed to the client: the given one without the `key` parameter. */
  readonly clientUrl: string;
  /** The Redis key holding the list (a hash: text, version, hash, updatedAt). */
  readonly key: string;
  /** The URL to show: password replaced by `***`. */
  readonly display: string;
}

/** True when `source` names a Redis source rather than a file. */
export function isRedisSource(source: string): boolean {
  return /^rediss?:\/\//i.test(source);
}

const NOT_A_URL = 'not a valid URL (a "/", "@", ":" or "%" in the password is written %2F, %40, %3A or %25)';

function invalid(display: string, why: string): AllowlistError {
  return new AllowlistError('CG_ALLOWLIST_SOURCE_INVALID', `corsgate: allowlist source ${display}: ${why}`);
}

/**
 * Parses a Redis source URL.
 * @throws AllowlistError `CG_ALLOWLIST_SOURCE_INVALID` for a malformed URL, a bad port or
 *   database, or a query parameter other than `key`.
 */
export function parseRedisSource(source: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return throwing(invalid(redact(source), NOT_A_URL));
  }
  // `redis://u:12/ab@host` parses, as host `u`, port 12 and path `/ab@host`: an `@` after the
  // authority is a password with a `/` in it, and none of it may be shown.
  if (url.pathname.includes('@')) throw invalid(redact(source), NOT_A_URL);
  if (url.password !== '') {
    let password: string;
    try {
      password = decodeURIComponent(url.password);
    } catch {
      url.password = '';
      throw invalid(redactUrl(url, true), 'the password is not valid percent-encoding (write "%" as %25)');
    }
    url.password = encodeURIComponent(password);
  }
  const display = redactUrl(url);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid(display, 'the scheme must be redis:// or rediss://');
  if (url.hostname === '') throw invalid(display, 'the URL names no host');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,5}$/.test(url.pathname))
    throw invalid(display, `the database "${url.pathname.slice(1)}" is not a number`);
  for (const name of url.searchParams.keys())
    if (name !== 'key') throw invalid(display, `unknown parameter "${name}" (only "key" is known)`);
  const key = url.searchParams.get('key') ?? DEFAULT_KEY;
  if (key === '') throw invalid(display, 'the key is empty');
  url.search = '';
  return {
    clientUrl: url.toString(),
    key,
    display: `${redactUrl(url)}${key === DEFAULT_KEY ? '' : `?key=${encodeURIComponent(key)}`}`,
  };
}

function throwing(error: Error): never {
  throw error;
}

function redactUrl(url: URL, hadPassword = false): string {
  if (url.password === '' && !hadPassword) return url.toString();
  const copy = new URL(url.toString());
  copy.password = '***';
  return copy.toString();
}

/**
 * A source string that does not parse, as shown: everything between `//` and the last `@` is
 * replaced, so a password holding `/`, `@` or `:` (the usual reason the URL does not parse) never
 * shows, even in part.
 */
function redact(source: string): string {
  return source.replace(/\/\/.*@/s, '//***@');
}

/** The source as shown (logs, errors, `/allowlist`): never its password, never a throw. */
export function shownRedisSource(source: string): string {
  try {
    return parseRedisSource(source).display;
  } catch {
    return redact(source);
  }
}
