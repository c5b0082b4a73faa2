/**
 * More origin probes (docs/cli.md "What it finds"): other spellings of a trusted origin, host
 * names with the characters a `[\w.-]+` regular expression stops at, a site under the trusted
 * origin's public suffix, and sites on shared hosting. Pure: the Public Suffix List comes from
 * the `tldts` package (its ICANN and private sections), no I/O.
 */
import { parse } from 'tldts';
import { corsCheck } from '../browser-model/index.js';
import { ATTACKER_DOMAIN, type OriginProbe } from '../catalogue/finding.js';
import type { Reply } from '../probe/prober.js';
import type { ScanContext } from './context.js';
import type { TrustedOrigin } from './origin-probe.js';

/** Characters the URL Standard lets into a host name that a `[\w.-]+` host pattern stops at. */
export const HOST_CHARACTERS = ['$', '+', '&'] as const;
/**
 * Shared hosting where anyone can publish a page: entries of the Public Suffix List's private
 * section (a test checks each is one), the static-site and cloud-storage hosts APIs trust most.
 */
export const SHARED_HOSTS = ['github.io', 's3.amazonaws.com', 'blob.core.windows.net', 'vercel.app'] as const;
/** The label every probe under a suffix carries: a site nobody has any reason to trust. */
const LABEL = 'corsgate-scan';

const DEFAULT_PORT: Record<string, string> = { https: ':443', http: ':80' };

/** The variants of one trusted origin (none for an IP address, which has no such spellings). */
export function originVariants(t: TrustedOrigin, ipHost: boolean): OriginProbe[] {
  const at = (host: string, finding: OriginProbe['finding'], port = t.port): OriginProbe => ({
    origin: `${t.scheme}://${host}${port}`,
    finding,
    lookalikeOf: t.text,
  });
  if (ipHost) return [];
  const out: OriginProbe[] = [];
  if (!t.wildcard) {
    out.push(at(t.host.toUpperCase(), 'origin-not-normalised'), at(`${t.host}.`, 'origin-not-normalised'));
    const port = DEFAULT_PORT[t.scheme];
    if (t.port === '' && port !== undefined) out.push(at(t.host, 'origin-not-normalised', port));
  }
  for (const c of HOST_CHARACTERS) out.push(at(`${t.host}${c}.${ATTACKER_DOMAIN}`, 'host-characters'));
  const psl = parse(t.host, { allowPrivateDomains: true });
  const icann = parse(t.host).publicSuffix;
  if (icann !== null && icann !== t.host) out.push(at(`${LABEL}.${icann}`, 'public-suffix-wildcard', ''));
  if (psl.isPrivate === true && psl.publicSuffix !== null)
    out.push(at(`${LABEL}.${psl.publicSuffix}`, 'shared-hosting-trusted', ''));
  return out;
}

/** One site on each shared host, sent whatever the trusted origins are. */
export function sharedHostingProbes(): OriginProbe[] {
  return SHARED_HOSTS.map((host) => ({
    origin: `https://${LABEL}.${host}`,
    finding: 'shared-hosting-trusted',
  }));
}

/**
 * A declared `--origin scheme://*.SUFFIX` the server honours is still the fault when SUFFIX is a
 * public suffix: declaring it does not make every site under .com or github.io the operator's.
 */
export function judgeDeclaredWildcard(
  ctx: ScanContext,
  t: TrustedOrigin,
  origin: string,
  answer: Reply,
): void {
  const psl = parse(t.host, { allowPrivateDomains: true });
  if (psl.publicSuffix !== t.host) return;
  const id = psl.isPrivate === true ? 'shared-hosting-trusted' : 'public-suffix-wildcard';
  const credentials = corsCheck(answer.lines, origin, true).ok;
  ctx.add(
    id,
    credentials,
    `--origin ${t.text} declares every site under ${t.host}, a public suffix${psl.isPrivate === true ? ' of shared hosting' : ''}, and the server allowed ${origin}${credentials ? ' with credentials' : ''}`,
    answer.trace,
  );
}
