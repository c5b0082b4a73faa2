/**
 * Whether a host is on a private or internal network (not loopback: an API on the developer's own
 * machine is not an internal service other people's browsers reach). Used to flag an internal API
 * that lets a public origin read it with credentials.
 */
import { isIP } from 'node:net';

const INTERNAL_SUFFIXES = ['.internal', '.local', '.lan', '.corp', '.intranet', '.home.arpa', '.localdomain'];

export function isInternalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  if (family === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return (
      a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
    );
  }
  if (family === 6) return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  // A single-label name (http://intranet/) only resolves inside a network.
  return !host.includes('.') || INTERNAL_SUFFIXES.some((s) => host.endsWith(s));
}
