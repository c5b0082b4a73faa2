/**
 * Which callers are the gateway's own (same-origin): decided by configuration, never by `Host`.
 * A page on an attacker's name that the attacker's DNS rebinds to the gateway's address sends a
 * `Host` of that name and an `Origin` to match, and its browser even marks its requests
 * `Sec-Fetch-Site: same-origin` (docs/gateway.md "Security model"). So an origin is the gateway's
 * own when it is a configured public origin (`--public-origin`), or when the browser says
 * `Sec-Fetch-Site: same-origin` (no script can set it) about a request sent to a public origin's
 * host. Without public origins, every request with an `Origin` is cross-origin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestFacts } from 'corsgate';

export class OwnOrigins {
  private readonly origins: ReadonlySet<string>;
  /** `host[:port]` of each public origin, as a browser writes `Host` for it. */
  private readonly hosts: ReadonlySet<string>;

  /** @param publicOrigins serialized origins, validated by config/load.ts */
  constructor(publicOrigins: readonly string[]) {
    this.origins = new Set(publicOrigins);
    this.hosts = new Set(publicOrigins.map((o) => new URL(o).host));
  }

  /**
   * The facts as the engine must see them: no `Host` (the engine would take Host = Origin for
   * same-origin), and `Sec-Fetch-Site: same-origin` exactly when the caller is one of ours.
   */
  facts(facts: RequestFacts, headers: IncomingHttpHeaders): RequestFacts {
    if (facts.origin === undefined) return facts;
    return {
      ...facts,
      host: undefined,
      secFetchSite: this.isOwn(facts.origin, headers) ? 'same-origin' : undefined,
    };
  }

  private isOwn(origin: string | readonly string[], headers: IncomingHttpHeaders): boolean {
    if (this.origins.size === 0) return false;
    if (typeof origin === 'string' && this.origins.has(origin)) return true;
    // HTTP/2 carries the host in `:authority` (RFC 9113 §8.3.1).
    const host = headers.host ?? (headers[':authority'] as string | undefined);
    return (
      headers['sec-fetch-site'] === 'same-origin' && host !== undefined && this.hosts.has(host.toLowerCase())
    );
  }
}
