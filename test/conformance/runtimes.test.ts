/**
 * The behaviour table (cases.ts) on the runtimes the Fetch adapter names (docs/middleware.md):
 * `corsgate/fetch` and `corsgate/hono` served by real Bun, Deno and workerd (_runtimes.ts), the
 * same rows as on Node. A runtime that cannot start fails its rows with the reason; none is skipped.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { RUNTIMES, type RuntimeProcess, runtimeWays, startRuntime } from './_runtimes.js';
import { defineWayIn } from './_table.js';

for (const runtime of RUNTIMES) {
  describe(runtime, () => {
    let running: RuntimeProcess | undefined;
    beforeAll(async () => {
      running = await startRuntime(runtime);
      process.stdout.write(`conformance runtime: ${running.version}\n`);
    }, 60_000);
    afterAll(async () => {
      await running?.close();
    });
    for (const way of runtimeWays(runtime, () => running!)) defineWayIn(way);
  });
}
