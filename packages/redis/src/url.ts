/**
 * Allowlist source addresses (docs/sources.md "Deployments"):
 * - one server: `redis://[user:password@]host:port[/db][?key=NAME]`, or `rediss://` for TLS;
 * - Sentinel: `redis+sentinel://[user:password@]host[:port][,host[:port]…]/MASTER[/db][?key=NAME]`
 *   (the sentinels, 26379 by default, and the master's name, as Harbor and go-redis's failover
 *   URLs write it), `rediss+sentinel://` when the data nodes speak TLS;
 * - Cluster: `redis+cluster://[user:password@]host:port[,host:port…][?key=NAME]` (any nodes of the
 *   cluster, 6379 by default), `rediss+cluster://` for TLS (managed Redis in cluster mode).
 * Anything else is a file path. The password never appears in what is shown (`/allowlist`, logs,
 * errors).
 */
import { AllowlistError } from 'corsgate/allowlist';

export const DEFAULT_KEY = 'corsgate:allowlist';

export type RedisMode = 'single' | 'sentinel' | 'cluster';

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisTarget {
  readonly mode: RedisMode;
  /** The URL handed to the client for one server: the given one without the query; '' otherwise. */
  readonly clientUrl: string;
  /** The sentinels (Sentinel) or the cluster's seed nodes (Cluster); empty for one server. */
  readonly nodes: readonly RedisNodeAddress[];
  /** The master's name the sentinels know (Sentinel only). */
  readonly masterName: string;
  readonly database: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
  /**
   * The Redis key holding the list (a hash: text, version, hash, updatedAt). In a Cluster it
   * carries a hash tag (`{corsgate:allowlist}`), so every key derived from it (the audit stream,
   * the refused-origin buckets) is in the same slot and one script may touch them all.
   */
  readonly key: string;
  /**
   * Replicas that must confirm a write before it counts as done (`WAIT`): 1 with Sentinel and
   * Cluster (a failover must not lose an acknowledged write), 0 for one server; `?replicas=N`.
   */
  readonly replicas: number;
  /** The URL to show: password replaced by `***`. */
  readonly display: string;
}

const SCHEMES = /^(rediss?)(?:\+(sentinel|cluster))?:\/\//i;

/** True when `source` names a Redis source rather than a file. */
export function isRedisSource(source: string): boolean {
  return SCHEMES.test(source);
}

const NOT_A_URL = 'not a valid URL (a "/", "@", ":" or "%" in the password is written %2F, %40, %3A or %25)';

function invalid(display: string, why: string): AllowlistError {
  return new AllowlistError('CG_ALLOWLIST_SOURCE_INVALID', `corsgate: allowlist source ${display}: ${why}`);
}

/**
 * Parses a Redis source URL.
 * @throws AllowlistError `CG_ALLOWLIST_SOURCE_INVALID` for a malformed URL, a bad port or
 *   database, a Sentinel URL without a master name, or an unknown query parameter.
 */
export function parseRedisSource(source: string): RedisTarget {
  const scheme = SCHEMES.exec(source);
  const mode: RedisMode = (scheme?.[2]?.toLowerCase() as RedisMode | undefined) ?? 'single';
  const tls = scheme?.[1]?.toLowerCase() === 'rediss';
  // The WHATWG parser takes one host only: a list of nodes is parsed as one host of a stand-in
  // URL, then split here.
  const parts = /^[a-z+]+:\/\/([^/?#]*@)?([^/?#]*)(.*)$/is.exec(source);
  const hostList = parts?.[2] ?? '';
  const standIn =
    mode === 'single' || parts === null
      ? source
      : `${tls ? 'rediss' : 'redis'}://${parts[1] ?? ''}nodes.invalid${parts[3]}`;
  let url: URL;
  try {
    url = new URL(standIn);
  } catch {
    return throwing(invalid(redact(source), NOT_A_URL));
  }
  // `redis://u:12/ab@host` parses, as host `u`, port 12 and path `/ab@host`: an `@` after the
  // authority is a password with a `/` in it, and none of it may be shown.
  if (url.pathname.includes('@')) throw invalid(redact(source), NOT_A_URL);
  let password: string | undefined;
  if (url.password !== '') {
    try {
      password = decodeURIComponent(url.password);
    } catch {
      url.password = '';
      throw invalid(
        shown(url, mode, hostList, true),
        'the password is not valid percent-encoding (write "%" as %25)',
      );
    }
    url.password = encodeURIComponent(password);
  }
  const display = shown(url, mode, hostList);
  if (mode === 'single' && url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid(display, 'the scheme must be redis://, rediss://, redis+sentinel:// or redis+cluster://');
  if (url.hostname === '') throw invalid(display, 'the URL names no host');
  const nodes = mode === 'single' ? [] : parseNodes(hostList, mode === 'sentinel' ? 26379 : 6379, display);
  const { masterName, database } = pathParts(url.pathname, mode, display);
  const { key, replicas } = queryParts(url, mode, display);
  url.search = '';
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  return {
    mode,
    clientUrl: mode === 'single' ? url.toString() : '',
    nodes,
    masterName,
    database,
    username,
    password,
    tls,
    key: mode === 'cluster' ? hashTagged(key) : key,
    replicas,
    display: `${shown(url, mode, hostList)}${key === DEFAULT_KEY ? '' : `?key=${encodeURIComponent(key)}`}`,
  };
}

/** The key itself when it has a hash tag (`{…}` with something inside), else the whole key as the tag. */
export function hashTagged(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key : `{${key}}`;
}

function parseNodes(list: string, defaultPort: number, display: string): RedisNodeAddress[] {
  return list.split(',').map((item) => {
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(item);
    const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
    if (m === null || port < 1 || port > 65535)
      throw invalid(display, `"${item.slice(0, 80)}" is not host or host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

function pathParts(path: string, mode: RedisMode, display: string): { masterName: string; database: number } {
  const parts = path.split('/').filter((p) => p !== '');
  let masterName = '';
  if (mode === 'sentinel') {
    masterName = decodeURIComponent(parts.shift() ?? '');
    if (masterName === '')
      throw invalid(display, 'a Sentinel URL names the master: redis+sentinel://HOSTS/MASTER');
  }
  if (mode === 'cluster' && parts.length > 0)
    throw invalid(display, 'a Cluster has one database only: no /db in a redis+cluster:// URL');
  if (parts.length > 1 || (parts.length === 1 && !/^\d{1,5}$/.test(parts[0]!)))
    throw invalid(display, `the database "${parts.join('/')}" is not a number`);
  return { masterName, database: parts.length === 1 ? Number(parts[0]) : 0 };
}

function queryParts(url: URL, mode: RedisMode, display: string): { key: string; replicas: number } {
  for (const name of url.searchParams.keys())
    if (name !== 'key' && name !== 'replicas')
      throw invalid(display, `unknown parameter "${name}" (only "key" and "replicas" are known)`);
  const key = url.searchParams.get('key') ?? DEFAULT_KEY;
  if (key === '') throw invalid(display, 'the key is empty');
  const given = url.searchParams.get('replicas');
  if (given !== null && !/^\d{1,2}$/.test(given))
    throw invalid(display, `replicas "${given.slice(0, 20)}" is not a whole number`);
  return { key, replicas: given !== null ? Number(given) : mode === 'single' ? 0 : 1 };
}

function throwing(error: Error): never {
  throw error;
}

/** The URL as shown: password `***`, the node list put back, no query. */
function shown(url: URL, mode: RedisMode, hostList: string, hadPassword = false): string {
  const copy = new URL(url.toString());
  copy.search = '';
  if (copy.password !== '' || hadPassword) copy.password = '***';
  const text = copy.toString();
  if (mode === 'single') return text;
  return text.replace(/^rediss?:/, (s) => `${s.slice(0, -1)}+${mode}:`).replace('nodes.invalid', hostList);
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
