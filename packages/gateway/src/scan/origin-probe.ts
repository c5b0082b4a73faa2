/** The shapes of scan's origin probes (scan/probes.ts builds them, scan/origin-variants.ts adds some). */
import type { FindingId } from './findings.js';

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

/** One Origin to send, and the class of misconfiguration the server shows if it allows it. */
export interface OriginProbe {
  readonly origin: string;
  readonly finding: FindingId;
  /** The trusted origin this look-alike was built from. */
  readonly lookalikeOf?: string;
}

/**
 * The attacker's domain in every look-alike: under `.example`, reserved by RFC 2606, so a probe can
 * never reach or name a real site.
 */
export const ATTACKER_DOMAIN = 'attacker.example';
