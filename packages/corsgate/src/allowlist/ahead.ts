/**
 * Parsing ahead of the quiet period (docs/allowlist.md, "How it follows the file"): the watcher
 * applies a version only once the file has been quiet for `debounceMs` after the last write, and
 * for a large list the parse and compile take about as long again. Both can overlap: on a change
 * event this reads the file at once and parses it in slices while the quiet period runs. The
 * reload at the end of the quiet period reads the file again with every guard (partial writes,
 * the quiet-period re-check) and takes the result made ahead only when its bytes hash to the same
 * sha256, so what applies is always exactly what that guarded read saw. A version changed
 * meanwhile is parsed by the reload itself, as without this.
 *
 * At most one parse ahead runs at a time; events during it ask for one more once it ends, so a
 * burst of writes costs at most one parse ahead in flight.
 */
import type { ParsedAllowlistResult } from './parse.js';

export interface ParseAheadSteps {
  /** Reads the file's bytes; undefined when it cannot be read or looks mid-write. */
  readonly read: () => Promise<Uint8Array | undefined>;
  readonly hash: (bytes: Uint8Array) => string;
  /** True when that content needs no parse (the version in force, the last one rejected). */
  readonly known: (hash: string) => boolean;
  readonly parse: (bytes: Uint8Array) => Promise<ParsedAllowlistResult>;
}

export class ParseAhead {
  private made: { readonly hash: string; readonly result: Promise<ParsedAllowlistResult> } | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly steps: ParseAheadSteps) {}

  /** A change was seen: read and parse the file now, or once the parse under way ends. */
  start(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.start();
      }
    });
  }

  /** The result parsed ahead for content with this hash, if any; each result is taken once. */
  take(hash: string): Promise<ParsedAllowlistResult> | undefined {
    const made = this.made;
    if (made === undefined || made.hash !== hash) return undefined;
    this.made = undefined;
    return made.result;
  }

  stop(): void {
    this.stopped = true;
    this.made = undefined;
  }

  private async run(): Promise<void> {
    const { read, hash, known, parse } = this.steps;
    const bytes = await read().catch(() => undefined);
    if (bytes === undefined || this.stopped) return;
    const digest = hash(bytes);
    if (known(digest) || this.made?.hash === digest) return;
    const result = parse(bytes);
    // Only a reload that takes the result sees its failure; an untaken one is dropped quietly.
    result.catch(() => undefined);
    this.made = { hash: digest, result };
    await result.catch(() => undefined);
  }
}
