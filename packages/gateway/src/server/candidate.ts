/**
 * The candidate list (docs/console.md "Candidate lists"): a second list evaluated beside the one in
 * force on every request, deciding nothing. Each request whose decision it would change is
 * counted per origin, with the first and last time seen and a sample request, in a bounded table.
 * It comes from `--candidate-allowlist FILE` (watched like the list in force) or is staged through
 * the admin API; promoting writes its text to the source in force as one version.
 */
import { readFile } from 'node:fs/promises';
import type { CorsConfigWithoutOrigins, Decision, Policy, RequestFacts } from 'corsgate';
import { type AllowlistIssue, parseAllowlist } from 'corsgate/allowlist';
import type { CandidateDifference, CandidateView } from '../views/candidate.js';
import { type AllowlistWatcher, openAllowlist } from './allowlist.js';
import type { SeenOrigins } from './seen.js';

/**
 * The traffic recorded before a candidate is staged: every origin seen (allowed or refused) and
 * the policy in force, so a new candidate is judged at once over what already came, not only
 * over what comes after it (docs/console.md "Candidate lists").
 */
export interface RecordedTraffic {
  readonly seen: SeenOrigins;
  readonly inForce: () => Policy;
}

const CAPACITY = 1000;
const MAX_VALUE = 256;

interface Difference {
  origin: string;
  inForce: boolean;
  candidate: boolean;
  count: number;
  firstSeen: number;
  lastSeen: number;
  sampleMethod: string;
  samplePath: string;
  /** True while the difference is known only from origins seen before the candidate. */
  recorded: boolean;
}

export class Candidate {
  /** Undefined while no candidate is staged (or the staged one has errors): nothing is evaluated. */
  private policy: Policy | undefined;
  private source: string | undefined;
  private stagedText: string | undefined;
  private entries = 0;
  private errors: readonly AllowlistIssue[] = [];
  private watcher: AllowlistWatcher | undefined;
  private readonly differences = new Map<string, Difference>();

  constructor(
    private readonly config: CorsConfigWithoutOrigins,
    private readonly recorded?: RecordedTraffic,
  ) {}

  get active(): boolean {
    return this.policy !== undefined;
  }

  /** Watches a candidate file; its every applied version replaces the candidate. */
  async watchFile(path: string): Promise<void> {
    const watcher = await openAllowlist(path, this.config);
    this.watcher = watcher;
    this.source = path;
    this.stagedText = undefined;
    const apply = (): void => {
      if (this.watcher !== watcher) return;
      this.policy = watcher.current.policy;
      this.entries = watcher.current.entries.length;
      this.errors = watcher.status().lastErrors;
      this.differences.clear();
      this.judgeRecorded();
    };
    apply();
    watcher.on(apply);
  }

  /** Stages a text through the admin API: linted like the list; with an error it is kept but not evaluated. */
  stage(text: string): readonly AllowlistIssue[] {
    void this.closeWatcher();
    const parsed = parseAllowlist(text, this.config);
    this.source = 'staged';
    this.stagedText = text;
    this.policy = parsed.policy;
    this.entries = parsed.entries.length;
    this.errors = parsed.errors;
    this.differences.clear();
    this.judgeRecorded();
    return parsed.errors;
  }

  drop(): void {
    void this.closeWatcher();
    this.policy = undefined;
    this.source = undefined;
    this.stagedText = undefined;
    this.entries = 0;
    this.errors = [];
    this.differences.clear();
  }

  /** The candidate's text, to promote: the staged text, or the file as it is now. */
  async text(): Promise<string | undefined> {
    if (this.stagedText !== undefined) return this.stagedText;
    if (this.watcher !== undefined && this.source !== undefined) return readFile(this.source, 'utf8');
    return undefined;
  }

  /** After a promotion the candidate is the list in force: nothing differs any more. */
  promoted(): void {
    this.differences.clear();
  }

  /**
   * Evaluates the new candidate over every origin seen so far (a GET from it, as the in-force
   * list decided it): an origin it would refuse or allow differently is listed at once, with the
   * counts recorded before, and marked as seen before the candidate.
   */
  private judgeRecorded(): void {
    const policy = this.policy;
    if (policy === undefined || this.recorded === undefined) return;
    const inForce = this.recorded.inForce();
    for (const seen of this.recorded.seen.list()) {
      const facts: RequestFacts = { method: 'GET', origin: seen.origin };
      const now = inForce.evaluate(facts).allowed;
      const other = policy.evaluate(facts).allowed;
      if (now === other || this.differences.size >= CAPACITY) continue;
      this.differences.set(seen.origin, {
        origin: seen.origin,
        inForce: now,
        candidate: other,
        count: seen.allowed + seen.refused,
        firstSeen: Date.parse(seen.firstSeen),
        lastSeen: Date.parse(seen.lastSeen),
        sampleMethod: 'GET',
        samplePath: '',
        recorded: true,
      });
    }
  }

  /** Called on the request path only while `active`: one more evaluation, one map update when it differs. */
  observe(facts: RequestFacts, inForce: Decision, path: string): void {
    const other = this.policy!.evaluate(facts);
    if (other.allowed === inForce.allowed) return;
    const origin = typeof facts.origin === 'string' ? facts.origin.slice(0, MAX_VALUE) : String(facts.origin);
    const now = Date.now();
    let d = this.differences.get(origin);
    if (d === undefined) {
      if (this.differences.size >= CAPACITY)
        this.differences.delete(this.differences.keys().next().value as string);
      d = {
        origin,
        inForce: inForce.allowed,
        candidate: other.allowed,
        count: 0,
        firstSeen: now,
        lastSeen: now,
        sampleMethod: '',
        samplePath: '',
        recorded: false,
      };
      this.differences.set(origin, d);
    }
    d.count++;
    d.lastSeen = now;
    d.inForce = inForce.allowed;
    d.candidate = other.allowed;
    d.sampleMethod = facts.method.slice(0, MAX_VALUE);
    d.samplePath = path.slice(0, MAX_VALUE);
    d.recorded = false;
  }

  view(): CandidateView | undefined {
    if (this.source === undefined) return undefined;
    const word = (allowed: boolean): 'allowed' | 'refused' => (allowed ? 'allowed' : 'refused');
    const differences: CandidateDifference[] = [...this.differences.values()]
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .map((d) => ({
        origin: d.origin,
        inForce: word(d.inForce),
        candidate: word(d.candidate),
        count: d.count,
        firstSeen: new Date(d.firstSeen).toISOString(),
        lastSeen: new Date(d.lastSeen).toISOString(),
        sampleMethod: d.sampleMethod,
        samplePath: d.samplePath,
        ...(d.recorded ? { seenBefore: true } : {}),
      }));
    return { source: this.source, entries: this.entries, errors: this.errors, differences };
  }

  async close(): Promise<void> {
    await this.closeWatcher();
  }

  private async closeWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close();
  }
}
