/**
 * The origins `corsgate scan` sends, built from the target and the origins that should be trusted
 * (`--origin`): each one a known way a server's origin check goes wrong. Pure: no I/O.
 */
import { getDomain } from 'tldts';
import { ATTACKER_DOMAIN, type OriginProbe, REFLECTION_PROBE } from '../catalogue/finding.js';
import type { FindingId } from './findings.js';
import type { TrustedOrigin } from './origin-probe.js';
import { originVariants, sharedHostingProbes } from './origin-variants.js';

export { ATTACKER_DOMAIN, type OriginProbe, REFLECTION_PROBE, type TrustedOrigin };

/** Characters browsers accept in host names that lenient parsers stop at (FINDING special-characters). */
export const SPECIAL_CHARACTERS = ['_', '`', '}', '!'] as const;

const SERIALIZED = /^([a-z][a-z0-9+.-]*):\/\/(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[1-9][0-9]{0,4})?$/;

/** Parses an `--origin` value; a string is the reason it is not an origin as browsers send it. */
export function parseTrustedOrigin(text: string): TrustedOrigin | string {
  const m = SERIALIZED.exec(text);
  if (m === null)
    return `"${text}" is not an origin as a browser sends it (scheme://host[:port], lower case, no path or trailing slash), nor scheme://*.domain; run "corsgate origin ${text}" to get it`;
  return { text, scheme: m[1]!, host: m[3]!, port: m[4] ?? '', wildcard: m[2] !== undefined };
}

/** Is `origin` one the operator said should be trusted? */
export function isIntended(origin: string, trusted: readonly TrustedOrigin[]): boolean {
  for (const t of trusted) {
    if (!t.wildcard) {
      if (t.text === origin) return true;
      continue;
    }
    const m = SERIALIZED.exec(origin);
    if (m === null || m[2] !== undefined) continue;
    if (m[1] === t.scheme && (m[4] ?? '') === t.port && m[3]!.endsWith(`.${t.host}`)) return true;
  }
  return false;
}

/** Host-name look-alikes need a name: an IP address has none a browser would send. */
export const IP_HOST = /^(\[.*\]|[0-9.]+)$/;

/**
 * Every origin probe for a target: reflection, null, then the look-alikes of each trusted origin
 * (or, with none given, of the target's own origin). Duplicates and intended origins are dropped.
 */
export function originProbes(target: URL, trusted: readonly TrustedOrigin[]): OriginProbe[] {
  const probes: OriginProbe[] = [
    { origin: REFLECTION_PROBE, finding: 'origin-reflected' },
    { origin: 'null', finding: 'null-trusted' },
  ];
  const own = parseTrustedOrigin(target.origin);
  const bases = trusted.length > 0 ? trusted : typeof own === 'string' ? [] : [own];
  // The variants first: where one is also a look-alike (a sibling under github.io), its class is the sharper.
  for (const base of bases) probes.push(...originVariants(base, IP_HOST.test(base.host)));
  probes.push(...sharedHostingProbes());
  for (const base of bases) probes.push(...lookalikes(base, target));
  const seen = new Set<string>();
  return probes.filter((p) => {
    if (seen.has(p.origin) || isIntended(p.origin, trusted)) return false;
    seen.add(p.origin);
    return true;
  });
}

function lookalikes(t: TrustedOrigin, target: URL): OriginProbe[] {
  const at = (host: string, finding: FindingId, scheme = t.scheme): OriginProbe => ({
    origin: `${scheme}://${host}${t.port}`,
    finding,
    lookalikeOf: t.text,
  });
  const out: OriginProbe[] = [];
  // An https API that trusts the http:// twin of a trusted origin: a network attacker's way in.
  if (t.scheme === 'https' && target.protocol === 'https:')
    out.push(at(t.host, 'insecure-origin-trusted', 'http'));
  if (IP_HOST.test(t.host)) return out;
  const labels = t.host.split('.');
  // The domain an attacker cannot register under (app.example.co.uk → example.co.uk), from the
  // Public Suffix List; the last two labels for a name it does not know.
  const domain = getDomain(t.host) ?? labels.slice(-2).join('.');
  out.push(at(`${t.host}.${ATTACKER_DOMAIN}`, 'prefix-match'));
  // Ends with the domain without being under it: an endsWith check without the leading dot.
  out.push(at(`attacker${domain}`, 'suffix-match'));
  out.push(at(`attacker${t.host}.${ATTACKER_DOMAIN}`, 'substring-match'));
  // The last dot, so the probe is no subdomain of the domain and ends with no trusted suffix.
  const lastDot = t.host.lastIndexOf('.');
  if (lastDot > 0) out.push(at(`${t.host.slice(0, lastDot)}x${t.host.slice(lastDot + 1)}`, 'unescaped-dot'));
  for (const c of SPECIAL_CHARACTERS) out.push(at(`${t.host}${c}.${ATTACKER_DOMAIN}`, 'special-characters'));
  if (!t.wildcard) {
    out.push(at(`corsgate-scan.${t.host}`, 'subdomain-trusted'));
    // A sibling: trusting *.example.com when app.example.com alone was meant.
    const parent = labels.slice(1).join('.');
    if (labels.length > 2 && parent.endsWith(domain))
      out.push(at(`corsgate-scan.${parent}`, 'subdomain-trusted'));
  }
  return out;
}
