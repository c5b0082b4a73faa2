/**
 * Is a domain a public suffix (publicsuffix.org)? Used only at compile time, to refuse a
 * credentialed `*.` wildcard that sits directly over one (`https://*.github.io` admits every
 * attacker's page; docs/rules.md §6 "wildcard over a public suffix").
 */
import { EXACT, EXCEPTION, WILDCARD } from './_public-suffixes.js';

let sets: { exact: Set<string>; wildcard: Set<string>; exception: Set<string> } | undefined;

function load() {
  sets ??= {
    exact: new Set(EXACT.split(',')),
    wildcard: new Set(WILDCARD.split(',')),
    exception: new Set(EXCEPTION.split(',')),
  };
  return sets;
}

/** `domain` is lower-case ASCII (punycode), without a trailing dot. */
export function isPublicSuffix(domain: string): boolean {
  const { exact, wildcard, exception } = load();
  if (exact.has(domain)) return true;
  if (exception.has(domain)) return false;
  const dot = domain.indexOf('.');
  return dot > 0 && wildcard.has(domain.slice(dot + 1));
}
