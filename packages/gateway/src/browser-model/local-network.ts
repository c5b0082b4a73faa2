/**
 * Chromium's Local Network Access (docs/failures.md "Not CORS"): a page fetching an address more
 * private than its own (public → private → loopback) needs the user's permission, asked only in a
 * secure context. No response header grants it, so it is not a CORS failure; Firefox and Safari,
 * as the browser suite runs them, do not enforce it. Pure: addresses in, verdict out.
 */
import type { Browser } from './response.js';

export type AddressSpace = 'loopback' | 'private' | 'public' | 'unknown';

function ipv4Space(host: string): AddressSpace | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (a === 127) return 'loopback';
  // RFC 1918, link-local (RFC 3927), carrier-grade NAT (RFC 6598) and 0.0.0.0/8.
  if (a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if ((a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  return 'public';
}

function ipv6Space(host: string): AddressSpace | undefined {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (!bare.includes(':')) return undefined;
  if (bare === '::1') return 'loopback';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped !== null) return ipv4Space(mapped[1]!);
  if (/^f[cd]/.test(bare) || /^fe[89ab]/.test(bare)) return 'private';
  return 'public';
}

/**
 * The address space of a host: from an IP literal, `localhost`, or the address the connection
 * went to when known; `unknown` for a name whose address is not known.
 */
export function addressSpace(host: string, address?: string): AddressSpace {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return 'loopback';
  const literal = ipv4Space(lower) ?? ipv6Space(lower);
  if (literal !== undefined) return literal;
  if (address !== undefined && address !== '') return addressSpace(address);
  return 'unknown';
}

/** Loopback or private: what Local Network Access guards. */
export function isLocalAddress(host: string, address: string | undefined): boolean {
  const space = addressSpace(host, address);
  return space === 'loopback' || space === 'private';
}

const RANK: Record<AddressSpace, number> = { public: 0, unknown: 0, private: 1, loopback: 2 };

export interface LocalNetworkVerdict {
  /** True when Local Network Access applies to this request in this browser. */
  readonly applies: boolean;
  readonly message: string;
}

/**
 * Does Local Network Access stand between this page and this target in `browser`? `pageSpace` is
 * where the page was served from (`unknown` reads as public: a site on the internet).
 */
export function localNetworkAccess(
  pageOrigin: string,
  pageSpace: AddressSpace,
  targetSpace: AddressSpace,
  browser: Browser,
): LocalNetworkVerdict {
  if (RANK[targetSpace] <= RANK[pageSpace])
    return { applies: false, message: 'the target is not more private than the page' };
  if (browser !== 'chromium')
    return {
      applies: false,
      message: `${browser} does not ask for Local Network Access permission (docs/failures.md)`,
    };
  const secure = pageOrigin.startsWith('https:');
  return {
    applies: true,
    message: secure
      ? `Chromium asks the user to allow ${pageOrigin} to reach the ${targetSpace} network; refused or dismissed, the request fails before it is sent. No response header changes that`
      : `Chromium blocks the request: ${pageOrigin} is not a secure context, and only a secure context may ask the user for Local Network Access to the ${targetSpace} network. No response header changes that`,
  };
}
