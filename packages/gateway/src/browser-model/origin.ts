/**
 * The Origin a page at a URL sends (URL Standard #concept-url-origin and HTML "serialization of an
 * origin", docs/rules.md §3.1, §1.8), and what the WHATWG URL parser changed on the way.
 */

/** Schemes with a tuple origin (URL #concept-url-origin); every other scheme's origin is opaque. */
const TUPLE_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp']);
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  ws: '80',
  wss: '443',
  ftp: '21',
};

export interface OriginAnswer {
  /** The `Origin` header value: a serialized origin or `null`. */
  readonly origin: string;
  readonly opaque: boolean;
  /** One sentence per change the parser made, or why the origin is opaque. */
  readonly changes: readonly string[];
}

/** Null when the input is not a URL at all. */
export function originOfUrl(input: string, options: { sandboxed?: boolean } = {}): OriginAnswer | null {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  const scheme = url.protocol.slice(0, -1);
  const changes: string[] = [];
  if (options.sandboxed === true)
    return {
      origin: 'null',
      opaque: true,
      changes: ['a sandboxed iframe without allow-same-origin has an opaque origin, sent as null'],
    };
  if (scheme === 'blob') {
    // URL #concept-url-origin: a blob: URL has the origin of the URL in its path, if that is http(s).
    const inner = originOfUrl(url.pathname);
    if (inner !== null && !inner.opaque && /^https?:/.test(inner.origin))
      return { ...inner, changes: ['a blob: URL has the origin of the URL it wraps', ...inner.changes] };
    return {
      origin: 'null',
      opaque: true,
      changes: ['a blob: URL that does not wrap an http(s) URL has an opaque origin, sent as null'],
    };
  }
  if (!TUPLE_SCHEMES.has(scheme)) {
    const why =
      scheme === 'file'
        ? 'file: pages have an opaque origin (the URL Standard leaves it to browsers; all of them send null)'
        : scheme === 'data'
          ? 'data: documents have an opaque origin'
          : scheme === 'about'
            ? 'about:blank has an opaque origin unless it inherits its creator’s'
            : `${scheme}: is not a special scheme, so its origin is opaque`;
    return { origin: 'null', opaque: true, changes: [`${why}, sent as "null"`] };
  }
  const origin = url.origin;
  const written =
    /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^@/?#\\]*@)?(\[[^\]]*\]|[^:/?#\\]*)(?::([^/?#\\]*))?(.*)$/s.exec(
      input.trim(),
    );
  if (written !== null) {
    const [, rawScheme = '', rawHost = '', rawPort, rest = ''] = written;
    if (rawScheme !== scheme) changes.push(`scheme "${rawScheme}" is lower-cased to "${scheme}"`);
    const host = url.hostname;
    if (rawHost !== host) {
      if (/^xn--|\.xn--/.test(host) && rawHost.toLowerCase() !== host)
        changes.push(`host "${rawHost}" is an internationalised name, sent as punycode "${host}"`);
      else if (host.startsWith('['))
        changes.push(`IPv6 address "${rawHost}" is written compressed and lower case: "${host}"`);
      else if (/^[0-9.]+$/.test(host) && rawHost.toLowerCase() !== host)
        changes.push(`IPv4 address "${rawHost}" is written in dotted decimal: "${host}"`);
      else if (rawHost.toLowerCase() === host) changes.push(`host "${rawHost}" is lower-cased to "${host}"`);
      else changes.push(`host "${rawHost}" is normalised to "${host}"`);
    }
    if (rawPort !== undefined && rawPort !== '' && url.port === '' && DEFAULT_PORTS[scheme] !== undefined)
      changes.push(`port ${rawPort} is ${scheme}'s default port, so it is left out`);
    else if (rawPort !== undefined && rawPort !== '' && rawPort !== url.port)
      changes.push(`port "${rawPort}" is written as ${url.port}`);
    if (input.includes('@')) changes.push('the user name and password are not part of an origin');
    if (rest !== '' && rest !== '/')
      changes.push(`the path, query and fragment ("${rest}") are not part of an origin`);
    else if (rest === '/') changes.push('an origin has no trailing slash');
  }
  return { origin, opaque: false, changes };
}
