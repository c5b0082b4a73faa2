/**
 * Merging what each worker reports into the one view the cluster primary answers with
 * (docs/gateway.md "Workers"): every worker sees part of the traffic, so counts add up and an
 * origin's first and last sighting are the earliest and latest any worker saw.
 */
import type { SeenView } from '../server/seen.js';
import type { CandidateDifference, CandidateView } from '../views/candidate.js';

/** One worker's `/origins` answer. */
export interface OriginsAnswer {
  readonly evicted: number;
  readonly origins: readonly SeenView[];
}

const later = (a: string, b: string): string => (a > b ? a : b);
const earlier = (a: string, b: string): string => (a < b ? a : b);

/** `/origins` across workers: per origin the counts summed, most recently seen first. */
export function mergeOrigins(answers: readonly unknown[], limit: number): OriginsAnswer {
  const byOrigin = new Map<string, SeenView>();
  let evicted = 0;
  for (const answer of answers.filter(isOriginsAnswer)) {
    evicted += answer.evicted;
    for (const o of answer.origins) {
      const had = byOrigin.get(o.origin);
      byOrigin.set(
        o.origin,
        had === undefined
          ? o
          : {
              origin: o.origin,
              allowed: had.allowed + o.allowed,
              refused: had.refused + o.refused,
              firstSeen: earlier(had.firstSeen, o.firstSeen),
              lastSeen: later(had.lastSeen, o.lastSeen),
            },
      );
    }
  }
  const origins = [...byOrigin.values()].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen)).slice(0, limit);
  return { evicted, origins };
}

function isOriginsAnswer(a: unknown): a is OriginsAnswer {
  return typeof a === 'object' && a !== null && Array.isArray((a as OriginsAnswer).origins);
}

/**
 * The candidate view across workers: the list is the same in each (the primary stages it in all),
 * so its source, entries and errors come from one; the differences add up per origin, the sample
 * and decisions from the latest sighting. A difference is "seen before" only while no worker has
 * a request of its own for it.
 */
export function mergeCandidate(answers: readonly unknown[]): CandidateView | undefined {
  const views = answers.filter(isCandidateView);
  const first = views[0];
  if (first === undefined) return undefined;
  const byOrigin = new Map<string, CandidateDifference>();
  for (const d of views.flatMap((v) => v.differences)) {
    const had = byOrigin.get(d.origin);
    byOrigin.set(d.origin, had === undefined ? d : addDifference(had, d));
  }
  const differences = [...byOrigin.values()].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
  return { source: first.source, entries: first.entries, errors: first.errors, differences };
}

function addDifference(a: CandidateDifference, b: CandidateDifference): CandidateDifference {
  // The sample is the latest request one of them saw (a recorded-only difference has none).
  const [old, recent] = a.lastSeen > b.lastSeen ? [b, a] : [a, b];
  const sampled = recent.seenBefore === true && old.seenBefore !== true ? old : recent;
  const seenBefore = a.seenBefore === true && b.seenBefore === true;
  return {
    origin: a.origin,
    inForce: recent.inForce,
    candidate: recent.candidate,
    count: a.count + b.count,
    firstSeen: earlier(a.firstSeen, b.firstSeen),
    lastSeen: recent.lastSeen,
    sampleMethod: sampled.sampleMethod,
    samplePath: sampled.samplePath,
    ...(seenBefore ? { seenBefore: true as const } : {}),
  };
}

function isCandidateView(a: unknown): a is CandidateView {
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof (a as CandidateView).source === 'string' &&
    Array.isArray((a as CandidateView).differences)
  );
}
