import { defineConfig } from 'vitest/config';

// One run for the whole repository: unit tests beside each package, the shared conformance suite,
// and the real-browser suite. Black-box tests spawn built binaries, so `npm test` builds first.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
