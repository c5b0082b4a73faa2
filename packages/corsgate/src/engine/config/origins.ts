/**
 * The origins of a configuration (docs/rules.md §3.1, §6): each entry parsed and normalised, the
 * security refusals that depend on the rest of the configuration (credentials, the dangerous
 * opt-ins), duplicates, and entries another entry already covers; compiled into the matcher.
 */
import { type ConfigIssue, issue } from '../errors.js';
import { OriginMatcher } from '../matcher.js';
import { isLoopbackHost, isSerializedOrigin, parseSerializedOrigin } from '../origin.js';
import {
  type OriginPattern,
  type PatternFinding,
  type PatternResult,
  parseOriginPattern,
} from '../pattern.js';
import { isPublicSuffix } from '../public-suffix.js';

const NO_WARNINGS: PatternFinding[] = [];
Object.freeze(NO_WARNINGS);

/**
 * One allowlist entry. The fast path: an entry that the request-time parser accepts as it stands
 * is already an exact origin in the one form browsers send (§3.1: lower case, no default port, no
 * path), so it is its own normalised text and needs no warning. That is the bulk of any large
 * list, and it skips `parseOriginPattern`'s regular expressions and slices. Two serialized origins
 * are not entries and go the general way, which refuses them: `file:` (an opaque origin, sent as
 * `null`) and a scheme with `+` (the general parser refuses it as a regular-expression character).
 * Everything else (wildcards, `*`, `null`, entries to normalise or refuse) takes the general path.
 */
export function parseOriginEntry(value: string): PatternResult {
  const exact = parseSerializedOrigin(value);
  if (exact === null || exact.scheme === 'file' || exact.scheme.includes('+'))
    return parseOriginPattern(value);
  const pattern: OriginPattern = {
    kind: 'origin',
    scheme: exact.scheme,
    host: exact.host,
    hostKind: exact.hostKind,
    subdomains: false,
    port: exact.port,
  };
  return { ok: true, pattern, text: value, warnings: NO_WARNINGS };
}

/** The pattern of an exact origin the compile kept as text only (always valid: it was compiled). */
function exactPatternOf(text: string): OriginPattern {
  const parsed = parseOriginEntry(text);
  if (!parsed.ok) throw new Error(`corsgate: internal error: "${text}" was compiled but does not parse`);
  return parsed.pattern;
}

/**
 * Origins compiled between two chances to yield. At ~1–3 µs an entry this is a few ms of work, so
 * `createPolicyAsync` can keep every slice near its budget.
 */
const SLICE_ENTRIES = 1000;

/** What the origins' checks depend on in the rest of the configuration. */
export interface OriginFlags {
  readonly credentials: boolean;
  readonly allowNull: boolean;
  readonly allowInsecure: boolean;
  readonly allowPublicSuffix: boolean;
}

/** The compiled origins: the matcher and the normalised texts, in list order. */
export interface CompiledOrigins {
  readonly matcher: OriginMatcher;
  readonly texts: string[];
}

/**
 * Compiles the origins, as steps: it yields every `SLICE_ENTRIES` entries, so that
 * `createPolicyAsync` can give the event loop back between slices.
 * @param values the `origins` field as given (type problems already reported)
 */
export function* compileOrigins(
  values: readonly unknown[],
  flags: OriginFlags,
  issues: ConfigIssue[],
): Generator<void, CompiledOrigins, void> {
  const table = new OriginTable();
  for (let index = 0; index < values.length; index++) {
    // Cooperative slicing: the async driver may hand the event loop back here (a generator step
    // costs nothing next to SLICE_ENTRIES entries).
    if (index > 0 && index % SLICE_ENTRIES === 0) yield;
    const value = values[index];
    if (typeof value !== 'string') continue;
    if (isPlainExactOrigin(value, flags)) {
      table.addExact(value, index, issues);
      continue;
    }
    const parsed = parseOriginEntry(value);
    if (!parsed.ok) {
      issues.push(issue(parsed.code, ['origins', index], value, parsed.reason, parsed.suggestion));
      continue;
    }
    for (const w of parsed.warnings)
      issues.push(issue(w.code, ['origins', index], value, w.reason, `write ${parsed.text}`));
    if (refused(parsed, index, value, flags, issues)) continue;
    table.add(parsed, index, value, issues);
  }
  yield* reportRedundantOrigins(table.patterns, table.texts, table.indexes, issues);
  return { matcher: table.matcher, texts: table.texts };
}

/**
 * The bulk of a large list: an `https://` origin (or `http://` without credentials, which no
 * refusal concerns) already in the form browsers send. It is its own normalised text, carries no
 * warning and meets none of the refusals in `refused` (those concern `*`, `null`, wildcards and
 * http with credentials), so it goes straight into the table: no pattern object, no result object
 * (100,000 of each, for nothing, on a 100,000-line reload). Anything else takes `parseOriginEntry`.
 */
function isPlainExactOrigin(value: string, flags: OriginFlags): boolean {
  const https = value.startsWith('https://');
  if (!https && (flags.credentials || !value.startsWith('http://'))) return false;
  return isSerializedOrigin(value);
}

/**
 * The refusals that depend on the rest of the configuration (§6): `*` with credentials, `null`,
 * plain http with credentials, a wildcard over a public suffix. Reports and returns true when the
 * entry is refused; a broad wildcard without credentials is only a warning.
 */
function refused(
  parsed: Extract<PatternResult, { ok: true }>,
  index: number,
  value: string,
  flags: OriginFlags,
  issues: ConfigIssue[],
): boolean {
  const p = parsed.pattern;
  if (p.kind === 'any' && flags.credentials) {
    issues.push(
      issue(
        'CG_ORIGIN_ANY_WITH_CREDENTIALS',
        ['origins', index],
        value,
        'you cannot both allow every origin (*) and enable credentials: browsers reject "*" on credentialed requests, and reflecting every origin instead would let any site act as the signed-in user',
      ),
    );
    return true;
  }
  if (p.kind === 'null' && !flags.allowNull) {
    issues.push(
      issue(
        'CG_ORIGIN_NULL',
        ['origins', index],
        value,
        'the "null" origin is sent by sandboxed iframes, data: URLs and file: pages, which any attacker can create; set dangerouslyAllowNullOrigin to allow it anyway',
      ),
    );
    return true;
  }
  if (p.kind === 'origin') {
    const loopback = p.subdomains ? p.host === 'localhost' : isLoopbackHost(p.host, p.hostKind);
    if (p.scheme === 'http' && flags.credentials && !loopback && !flags.allowInsecure) {
      issues.push(
        issue(
          'CG_ORIGIN_INSECURE_WITH_CREDENTIALS',
          ['origins', index],
          value,
          `"${parsed.text}" is plain http: anyone on the network path can inject script into that origin and act with the user's credentials; use https, or set dangerouslyAllowInsecureOrigins`,
          `did you mean https://${parsed.text.slice('http://'.length)}?`,
        ),
      );
      return true;
    }
    // `*.localhost` is a single label but only ever names this machine (RFC 6761 §6.3): nobody
    // else can register under it, so it is not the public-suffix attack class (§6).
    // Asked only of wildcards: the public-suffix lookup would otherwise run for every exact origin.
    const broad = p.subdomains && p.host !== 'localhost' && (!p.host.includes('.') || isPublicSuffix(p.host));
    if (broad) {
      const what = p.host.includes('.') ? `"${p.host}" is a public suffix` : `"${p.host}" is a single label`;
      if (flags.credentials && !flags.allowPublicSuffix) {
        issues.push(
          issue(
            'CG_ORIGIN_PUBLIC_SUFFIX_WILDCARD',
            ['origins', index],
            value,
            `${what}, so "${parsed.text}" admits sites that anyone can register, with credentials; list the exact origins, or set dangerouslyAllowPublicSuffixWildcards`,
          ),
        );
        return true;
      }
      if (!flags.allowPublicSuffix) {
        issues.push(
          issue(
            'CG_ORIGIN_BROAD_WILDCARD',
            ['origins', index],
            value,
            `${what}, so "${parsed.text}" admits sites that anyone can register`,
          ),
        );
      }
    }
  }
  return false;
}

/** The origins kept so far, deduplicated, with what the redundancy check needs. */
class OriginTable {
  // Exact origins are kept as their text only (undefined here): holding 100,000 pattern objects
  // through the compile would promote them to the old generation, which costs GC for no use; the
  // redundancy check re-derives the few it needs from the text.
  readonly patterns: (OriginPattern | undefined)[] = [];
  readonly texts: string[] = [];
  readonly indexes: number[] = [];
  readonly matcher = new OriginMatcher([]);
  private readonly indexOfText = new Map<string, number>();
  /**
   * The index of each exact origin's entry, built only when a first duplicate needs it (O(n)
   * once) and kept up to date from then on: a list without duplicates never builds it.
   */
  private exactIndexes: Map<string, number> | undefined;

  /** Adds an entry, or reports it as a duplicate of an earlier one. */
  add(
    parsed: Extract<PatternResult, { ok: true }>,
    index: number,
    value: string,
    issues: ConfigIssue[],
  ): void {
    const p = parsed.pattern;
    const { matcher, indexOfText, patterns, texts: originTexts } = this;
    const patternIndexes = this.indexes;
    // Exact origins are deduplicated in the matcher's own table (one hash table for the bulk of a
    // large list); the few patterns in `indexOfText`. The two never share a text.
    const exact = p.kind === 'origin' && !p.subdomains && p.port !== 'any';
    const seen = exact
      ? matcher.hasExact(parsed.text)
        ? this.exactIndexOf(parsed.text)
        : undefined
      : indexOfText.get(parsed.text);
    if (seen !== undefined) {
      issues.push(
        issue(
          'CG_ORIGIN_DUPLICATE',
          ['origins', index],
          value,
          `"${parsed.text}" is already listed at origins[${seen}]`,
        ),
      );
      return;
    }
    if (!exact) indexOfText.set(parsed.text, index);
    else this.exactIndexes?.set(parsed.text, index);
    matcher.add(p, parsed.text);
    patterns.push(exact ? undefined : p);
    patternIndexes.push(index);
    originTexts.push(parsed.text);
  }

  /** `add` for an exact origin already in canonical form (`isPlainExactOrigin`). */
  addExact(text: string, index: number, issues: ConfigIssue[]): void {
    if (!this.matcher.addExact(text)) {
      issues.push(
        issue(
          'CG_ORIGIN_DUPLICATE',
          ['origins', index],
          text,
          `"${text}" is already listed at origins[${this.exactIndexOf(text)}]`,
        ),
      );
      return;
    }
    this.exactIndexes?.set(text, index);
    this.patterns.push(undefined);
    this.indexes.push(index);
    this.texts.push(text);
  }

  /** The index of the entry that listed this exact origin (it is listed: the matcher has it). */
  private exactIndexOf(text: string): number {
    if (this.exactIndexes === undefined) {
      const indexes = new Map<string, number>();
      for (let k = 0; k < this.texts.length; k++)
        if (this.patterns[k] === undefined) indexes.set(this.texts[k]!, this.indexes[k]!);
      this.exactIndexes = indexes;
    }
    return this.exactIndexes.get(text)!;
  }
}

/**
 * Warns about entries that another entry already covers. Each kind of entry is asked only of the
 * entries that can cover it, so an exact `https://example.com:*` never makes
 * `https://*.example.com` look covered (it allows the apex, not the subdomains).
 */
function* reportRedundantOrigins(
  patterns: readonly (OriginPattern | undefined)[],
  texts: readonly string[],
  indexes: readonly number[],
  issues: ConfigIssue[],
): Generator<void, void, void> {
  const wildcards: OriginPattern[] = [];
  const anyPortWildcards: OriginPattern[] = [];
  const anyPortWildcardApexes = new Set<string>();
  const anyPortHosts = new Set<string>();
  let anyText = false;
  for (const p of patterns) {
    if (p === undefined) continue; // an exact origin
    if (p.kind === 'any') anyText = true;
    if (p.kind !== 'origin') continue;
    if (p.subdomains) {
      wildcards.push(p);
      if (p.port === 'any') {
        anyPortWildcards.push(p);
        anyPortWildcardApexes.add(`${p.scheme}://${p.host}`);
      }
    } else if (p.port === 'any') anyPortHosts.add(`${p.scheme}://${p.host}`);
  }
  if (!anyText && wildcards.length === 0 && anyPortHosts.size === 0) return;
  // Exact origins are covered by a wildcard or a :* host; wildcards only by wildcards.
  const byWildcard = new OriginMatcher(wildcards);
  const byAnyPortWildcard = anyPortWildcards.length > 0 ? new OriginMatcher(anyPortWildcards) : undefined;
  for (let i = 0; i < patterns.length; i++) {
    if (i > 0 && i % SLICE_ENTRIES === 0) yield;
    const text = texts[i]!;
    const p = patterns[i] ?? exactPatternOf(text);
    if (p.kind === 'any') continue;
    const index = indexes[i]!;
    let by: string | undefined;
    if (anyText) by = '"*"';
    else if (p.kind === 'origin') {
      const apex = `${p.scheme}://${p.host}`;
      const port = p.port === null || p.port === 'any' ? '' : `:${p.port}`;
      const underAnyPortWildcard = () => byAnyPortWildcard?.match(apex) === 'allowed';
      let covered: boolean;
      if (!p.subdomains && p.port !== 'any')
        covered = anyPortHosts.has(apex) || byWildcard.match(apex + port) === 'allowed';
      else if (!p.subdomains || p.port === 'any') covered = underAnyPortWildcard();
      else covered = byWildcard.match(apex + port) === 'allowed' || anyPortWildcardApexes.has(apex);
      if (covered) by = 'a broader entry';
    }
    if (by !== undefined) {
      issues.push(
        issue('CG_ORIGIN_REDUNDANT', ['origins', index], text, `"${text}" is already covered by ${by}`),
      );
    }
  }
}
