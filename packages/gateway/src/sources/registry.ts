/**
 * The kinds of source, keyed by URL scheme (docs/sources.md "Kinds of source"): an address whose
 * scheme a kind registers is that kind's; any other address is a file path. A new kind (Redis
 * Sentinel, Redis Cluster) is one file implementing `SourceKind` and one line in `KINDS`.
 */
import { clusterKind } from './cluster.js';
import { fileKind } from './file.js';
import { redisKind } from './redis.js';
import { sentinelKind } from './sentinel.js';
import type { ListSource, SourceKind } from './types.js';

const KINDS: readonly SourceKind[] = [redisKind, sentinelKind, clusterKind];

const BY_SCHEME: ReadonlyMap<string, SourceKind> = new Map(
  KINDS.flatMap((kind) => kind.schemes.map((scheme) => [scheme, kind] as const)),
);

/** `scheme://` at the start (RFC 3986 scheme characters); a Windows drive (`C:\`) has no `//`. */
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function kindOf(address: string): SourceKind {
  const scheme = SCHEME.exec(address)?.[1]?.toLowerCase();
  return (scheme === undefined ? undefined : BY_SCHEME.get(scheme)) ?? fileKind;
}

/**
 * The source an address names, as given in directory `dir` (a relative path resolves against it).
 * Never throws: an invalid URL fails when the source is used, with `CG_ALLOWLIST_SOURCE_INVALID`.
 */
export function sourceFor(address: string, dir: string = process.cwd()): ListSource {
  return kindOf(address).create(address, dir);
}

/** The address with a path resolved against `dir`; a URL as given. */
export function resolveSource(address: string, dir: string): string {
  return sourceFor(address, dir).address;
}

/** The address as printed: a URL without its password, a path as given. */
export function shownSource(address: string): string {
  return sourceFor(address).shown;
}
