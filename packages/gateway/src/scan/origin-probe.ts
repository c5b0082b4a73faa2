/** An origin the server should trust (scan/probes.ts parses them, scan/origin-variants.ts builds on them). */

/** An origin the server should trust: exact, or `scheme://*.domain[:port]` for its subdomains. */
export interface TrustedOrigin {
  readonly text: string;
  readonly scheme: string;
  /** The host, or for a wildcard the domain below which every subdomain is trusted. */
  readonly host: string;
  /** `:8443`, or '' for the scheme's default port. */
  readonly port: string;
  readonly wildcard: boolean;
}
