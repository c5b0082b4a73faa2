/**
 * Runs the behaviour table (cases.ts) against every way in, each a real server on loopback, over
 * raw HTTP/1.1: the six adapters (_ways-in.ts) and the gateway (_gateway.ts). Every way in must give
 * the row's status, headers and Vary, and make exactly one decision, with the row's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateway } from './_gateway.js';
import { headerValues, varyTokens } from './_raw-http.js';
import { ADAPTERS, type Running } from './_ways-in.js';
import { CASES, POLICIES } from './cases.js';

describe.each([...ADAPTERS, gateway])('$name', (way) => {
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
