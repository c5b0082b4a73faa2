/**
 * Whether a `Host` names the admin listener. A page that rebinds its own DNS name to the
 * listener's address reaches it with that name in `Host` (docs/gateway.md "Security model"), so
 * only the listener's own address, `localhost` on loopback, and configured names are answered. An
 * IP literal cannot be rebound, so on a wildcard address any IP literal is the listener's own.
 */
import { type AddressInfo, isIP } from 'node:net';

/**
 * @param host the `Host` header as received
 * @param address the listener's bound address
 * @param names lower-case names answered besides the address
 */
export function isOwnHost(
  host: string | undefined,
  address: AddressInfo,
  names: ReadonlySet<string>,
): boolean {
  if (host === undefined) return true; // HTTP/1.0: no browser sends a request without Host.
  const lower = host.toLowerCase();
  const bracket = lower.startsWith('[') ? lower.indexOf(']') : -1;
  const colon = bracket >= 0 ? lower.indexOf(':', bracket) : lower.lastIndexOf(':');
  const name = bracket >= 0 ? lower.slice(1, bracket) : colon < 0 ? lower : lower.slice(0, colon);
  if (colon >= 0 && lower.slice(colon + 1) !== String(address.port)) return false;
  if (names.has(name) || name === address.address) return true;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  if (wildcard && isIP(name) !== 0) return true;
  const loopback = wildcard || address.address === '::1' || address.address.startsWith('127.');
  return loopback && name === 'localhost';
}
