import { defineConfig } from 'vitest/config';

// One run for the whole repository: unit tests beside each package, the shared conformance suite,
// and the real-browser suite. Black-box tests spawn built binaries, so `npm test` builds first.
// vitest runs cores - 1 files at once by default: one at a time on the 2-core machines CI and the
// team use. Most files wait on spawned gateways, browsers, Redis and nginx rather than compute, so
// three at once keeps both cores busy (CORSGATE_TEST_WORKERS overrides it; README "How it is tested").
const workers = Number(process.env.CORSGATE_TEST_WORKERS) || 3;

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: workers,
    reporters: ['default'],
  },
});
