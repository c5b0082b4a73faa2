/**
 * The behaviour table (cases.ts) against one way in: every way in must give the row's status,
 * headers and Vary, and make exactly one decision, with the row's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, varyTokens } from './_raw-http.js';
import type { Running, WayIn } from './_ways-in.js';
import { CASES, POLICIES } from './cases.js';

export function defineWayIn(way: WayIn): void {
  describe(way.name, () => {
    const servers = new Map<string, Running>();
    beforeAll(async () => {
      for (const name of Object.keys(POLICIES) as (keyof typeof POLICIES)[])
        servers.set(name, await way.start(POLICIES[name]));
    });
    afterAll(async () => {
      for (const server of servers.values()) await server.close();
    });

    for (const row of CASES) {
      const gap = row.gaps?.[way.name];
      it.skipIf(gap !== undefined)(`${row.description}${gap ? ` (gap: ${gap})` : ''}`, async () => {
        const server = servers.get(row.policy)!;
        const { response, reasons } = await server.send(row.request);
        expect(response.status).toBe(row.expect.status);
        expect(reasons, 'the reason of the one decision made').toEqual([row.expect.reason]);
        for (const [name, value] of Object.entries(row.expect.headers)) {
          const values = headerValues(response, name);
          if (value === null) expect(values, `${name} must be absent`).toEqual([]);
          else expect(values, `${name} must appear once`).toEqual([value]);
        }
        const unexpected = response.headers
          .filter(([name]) => name.startsWith('access-control-') && !(name in row.expect.headers))
          .map(([name]) => name);
        expect(unexpected, 'Access-Control-* headers the row does not list').toEqual([]);
        const tokens = varyTokens(response);
        expect(
          tokens.map((t) => t.toLowerCase()).sort(),
          `Vary tokens (got ${JSON.stringify(headerValues(response, 'vary'))})`,
        ).toEqual(row.expect.vary.map((t) => t.toLowerCase()).sort());
      });
    }
  });
}
