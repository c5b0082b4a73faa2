/**
 * Runs the behaviour table (cases.ts) against every way in (_ways-in.ts), each a real server on
 * loopback, over raw HTTP/1.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues, rawRequest, varyTokens } from './_raw-http.js';
import { type Started, WAYS_IN } from './_ways-in.js';
import { CASES, POLICIES } from './cases.js';

describe.each(WAYS_IN)('$name', (way) => {
  const servers = new Map<string, Started>();
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
      const response = await rawRequest(server.baseUrl, row.request);
      expect(response.status).toBe(row.expect.status);
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
