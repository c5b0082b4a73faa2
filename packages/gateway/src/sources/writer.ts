/**
 * What every kind's admin writer shares: waiting until this node has applied the version just
 * written, so the admin answer is true for the next request (docs/console.md "Writes").
 */
import type { AllowlistWatcher } from 'corsgate/allowlist';

/** Resolves true once the watcher's version in force has `hash`, false after `ms`. */
export function appliedWithin(watcher: AllowlistWatcher, hash: string, ms: number): Promise<boolean> {
  if (watcher.current.hash === hash) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(watcher.current.hash === hash);
    }, ms);
    const off = watcher.on(() => {
      if (watcher.current.hash !== hash) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

/** How long a writer waits for its own node to apply what it wrote before answering anyway. */
export const APPLY_WAIT_MS = 3_000;
