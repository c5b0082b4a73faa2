/**
 * `publicOrigins`: the origins the application is served from, as browsers write them. When set,
 * same-origin is decided on these and never on `Host`: a page on an attacker's name that DNS
 * rebinds to the server sends a `Host` of that name and a matching `Origin`, and its browser even
 * marks it `Sec-Fetch-Site: same-origin` (docs/middleware.md "Same-origin requests", the gateway's
 * `--public-origin` in docs/gateway.md "Security model"). Compiled once into two sets, so that the
 * request path only looks strings up.
 */
import { type ConfigIssue, issue } from '../errors.js';
import { DEFAULT_PORTS } from '../fetch-spec.js';
import { excerpt } from '../problem.js';
import type { ListItem } from './fields.js';
import { parseOriginEntry } from './origins.js';

/** The compiled field; `texts` undefined when it is not set (same-origin is then taken from `Host`). */
export interface CompiledPublicOrigins {
  /** The normalised list, in configuration order, without repeats. */
  readonly texts: string[] | undefined;
  /** The public origins, compared with `Origin` as sent. */
  readonly origins: ReadonlySet<string> | undefined;
  /**
   * `host[:port]` of each public origin as a browser writes `Host` for it, lower case; with the
   * scheme's default port written out too (`app.example.com:443`), which names the same host.
   */
  readonly hosts: ReadonlySet<string> | undefined;
}

const NOT_SET: CompiledPublicOrigins = Object.freeze({
  texts: undefined,
  origins: undefined,
  hosts: undefined,
});

const FORM =
  'an origin exactly as a browser sends it in Origin: http(s)://host[:port], lower case, no default port, no path';

/**
 * Compiles `publicOrigins`.
 * @param set whether the field is present (an empty list is set: no request is then same-origin by
 *   its `Origin`, only by `Sec-Fetch-Site` about a public host, i.e. never)
 * @param items its strings (type problems already reported by `ConfigReader.list`)
 */
export function compilePublicOrigins(
  set: boolean,
  items: readonly ListItem[],
  issues: ConfigIssue[],
): CompiledPublicOrigins {
  if (!set) return NOT_SET;
  const origins = new Set<string>();
  const hosts = new Set<string>();
  for (const { value, index } of items) {
    const host = publicHostOf(value, index, issues);
    if (host === undefined) continue;
    origins.add(value);
    hosts.add(host.host);
    if (host.withDefaultPort !== undefined) hosts.add(host.withDefaultPort);
  }
  return { texts: [...origins], origins, hosts };
}

/** The `Host` values of one entry, or undefined (reported) when it is not a public origin. */
function publicHostOf(
  value: string,
  index: number,
  issues: ConfigIssue[],
): { host: string; withDefaultPort: string | undefined } | undefined {
  const parsed = parseOriginEntry(value);
  const refuse = (reason: string, suggestion?: string) => {
    issues.push(issue('CG_PUBLIC_ORIGIN_INVALID', ['publicOrigins', index], value, reason, suggestion));
    return undefined;
  };
  const shown = excerpt(value);
  if (!parsed.ok) return refuse(`${parsed.reason}; a public origin is ${FORM}`, parsed.suggestion);
  const p = parsed.pattern;
  if (p.kind !== 'origin' || p.subdomains || p.port === 'any')
    return refuse(`"${shown}" is not one origin: a public origin names no pattern, "*" or "null"`);
  if (p.scheme !== 'http' && p.scheme !== 'https')
    return refuse(`"${shown}" is not an http or https origin: the application is served over HTTP`);
  // The slips the allowlist normalises with a warning are refused here: this list is short and
  // written once, and an origin is compared with `Origin` exactly as sent (docs/rules.md §3.1).
  const slip = parsed.warnings[0];
  if (slip !== undefined || parsed.text !== value)
    return refuse(
      `"${shown}" is not ${FORM}${slip === undefined ? '' : ` (${slip.reason})`}`,
      `did you mean ${parsed.text}?`,
    );
  const port = p.port === null ? '' : `:${p.port}`;
  return {
    host: p.host + port,
    withDefaultPort: p.port === null ? `${p.host}:${DEFAULT_PORTS[p.scheme]}` : undefined,
  };
}
