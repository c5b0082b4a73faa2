/**
 * The compiled allowlist. Request time only looks things up:
 * - exact origins: one hash-set lookup on the raw header value, before any parsing (a hit is a
 *   canonical origin by construction, since only canonical entries are stored);
 * - `:*` entries: one hash-set lookup on `scheme://host`;
 * - `*.` entries: a reversed-label tree per `scheme|port`, walked once per label of the host.
 * Nothing scans the list, so 100,000 entries cost what 10 do.
 */

import { isSerializedOrigin, MAX_ORIGIN_LENGTH, parseSerializedOrigin } from './origin.js';
import type { OriginPattern } from './pattern.js';

export type OriginMatch = 'allowed' | 'not-listed' | 'malformed' | 'null-not-allowed';

interface LabelNode {
  /** Created on first use: most nodes of a large allowlist are leaves, and a Map each costs. */
  children: Map<string, LabelNode> | undefined;
  /** Any host with at least one more label below this node matches. */
  terminal: boolean;
}

function newNode(): LabelNode {
  return { children: undefined, terminal: false };
}

export class OriginMatcher {
  private anyValue = false;
  private allowNullValue = false;
  /** Exact origins, as their canonical texts. */
  private readonly exact = new Set<string>();
  private readonly anyPort = new Set<string>();
  private readonly trees = new Map<string, LabelNode>();

  constructor(patterns: readonly OriginPattern[]) {
    for (const p of patterns) this.add(p);
  }

  /** `*` is listed. */
  get any(): boolean {
    return this.anyValue;
  }

  /** `null` is listed. */
  get allowNull(): boolean {
    return this.allowNullValue;
  }

  /**
   * Adds one entry: the compile builds the matcher as it goes, in the same slices.
   * @param text the entry's canonical text (`patternText(p)`), when the caller has it already
   */
  add(p: OriginPattern, text?: string): void {
    if (p.kind === 'any') this.anyValue = true;
    else if (p.kind === 'null') this.allowNullValue = true;
    else if (p.subdomains) this.insertWildcard(p.scheme, p.host, p.port);
    else if (p.port === 'any') this.anyPort.add(`${p.scheme}://${p.host}`);
    else this.exact.add(text ?? `${p.scheme}://${p.host}${p.port === null ? '' : `:${p.port}`}`);
  }

  /**
   * Adds an exact origin given as its canonical text; false when it was listed already. The
   * compile finds duplicate exact origins this way: one hash-set insertion an entry, no lookup
   * before it (the bulk of a 100,000-line list; bench/allowlist/RESULTS.md).
   */
  addExact(text: string): boolean {
    const before = this.exact.size;
    this.exact.add(text);
    return this.exact.size !== before;
  }

  /** True when this exact origin is listed. */
  hasExact(text: string): boolean {
    return this.exact.has(text);
  }

  private insertWildcard(scheme: string, domain: string, port: number | null | 'any'): void {
    const key = `${scheme}|${port === null ? '' : port === 'any' ? '*' : port}`;
    let node: LabelNode = this.trees.get(key) ?? newNode();
    this.trees.set(key, node);
    const labels = domain.split('.');
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i]!;
      node.children ??= new Map();
      let child: LabelNode | undefined = node.children.get(label);
      if (child === undefined) {
        child = newNode();
        node.children.set(label, child);
      }
      node = child;
    }
    node.terminal = true;
  }

  /** Matches one `Origin` value exactly as received. */
  match(origin: string): OriginMatch {
    // Refuse over-long values before hashing them: hashing a hostile 1 MB Origin costs a scan.
    if (origin.length > MAX_ORIGIN_LENGTH) return 'malformed';
    if (this.exact.has(origin)) return 'allowed';
    if (origin === 'null') return this.allowNull || this.any ? 'allowed' : 'null-not-allowed';
    // A list of exact origins only (the usual one) needs no parts: the scan alone tells a
    // well-formed origin that is not listed from a malformed one, allocating nothing.
    if (!this.any && this.anyPort.size === 0 && this.trees.size === 0)
      return isSerializedOrigin(origin) ? 'not-listed' : 'malformed';
    const parsed = parseSerializedOrigin(origin);
    if (parsed === null) return 'malformed';
    if (this.any) return 'allowed';
    if (this.anyPort.size > 0 && this.anyPort.has(`${parsed.scheme}://${parsed.host}`)) return 'allowed';
    if (this.trees.size > 0 && parsed.hostKind === 'domain') {
      const portKey = parsed.port === null ? '' : String(parsed.port);
      if (underTree(this.trees.get(`${parsed.scheme}|${portKey}`), parsed.host)) return 'allowed';
      if (underTree(this.trees.get(`${parsed.scheme}|*`), parsed.host)) return 'allowed';
    }
    return 'not-listed';
  }
}

/** True when `host` has at least one label below a terminal node of the tree. */
function underTree(root: LabelNode | undefined, host: string): boolean {
  let node = root;
  let end = host.length;
  while (node !== undefined) {
    const dot = host.lastIndexOf('.', end - 1);
    node = node.children?.get(host.slice(dot + 1, end));
    if (node === undefined || dot < 0) return false;
    if (node.terminal) return true;
    end = dot;
  }
  return false;
}
