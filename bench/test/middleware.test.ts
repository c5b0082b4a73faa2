/**
 * Every middleware benchmark scenario answers each request kind correctly before it may be timed
 * (bench/middleware/check.mjs, also run by run.mjs before each measurement).
 */
import { describe, it } from 'vitest';
// @ts-expect-error plain ESM benchmark modules without type declarations
import { checkScenario } from '../middleware/check.mjs';
// @ts-expect-error plain ESM benchmark modules without type declarations
import { FRAMEWORKS, PEER, startServer, VARIANTS } from '../middleware/servers.mjs';

const label = (framework: string, variant: string): string =>
  variant === 'none' ? 'without CORS' : variant === 'peer' ? `with ${PEER[framework]}` : 'with corsgate';

describe.each(FRAMEWORKS as string[])('%s benchmark server', (framework) => {
  const variants = (VARIANTS as string[]).map((variant) => [label(framework, variant), variant] as const);
  it.each(variants)(
    'answers allowed, preflight and disallowed requests correctly %s',
    async (_label, variant) => {
      const server = await startServer(framework, variant);
      try {
        await checkScenario(framework, variant, server.port);
      } finally {
        await server.close();
      }
    },
  );
});
