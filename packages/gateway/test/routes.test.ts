import { createPolicy } from 'corsgate';
import { describe, expect, it } from 'vitest';
import type { RouteConfig } from '../src/config/types.js';
import { RouteTable } from '../src/decide/routes.js';
import type { AllowlistSnapshot } from '../src/server/allowlist.js';

const api: RouteConfig = {
  path: '/api/*',
  match: '/api/',
  prefix: true,
  policy: { credentials: true },
  stripCookies: true,
};

function snapshot(version: number, origins: string[]): AllowlistSnapshot {
  return {
    policy: createPolicy({ origins, credentials: true }),
    version,
    hash: String(version),
    entries: origins.map((origin, i) => ({ origin, line: i + 1 })),
    warnings: [],
    loadedAt: 0,
  };
}

const allows = (table: RouteTable, origin: string): boolean =>
  table.resolve('/api/items')!.policy.evaluate({ method: 'GET', origin }).allowed;

describe('RouteTable: a route that inherits the allowlist', () => {
  it('keeps the previous snapshot and route policies in force until the new ones are compiled, then swaps both together', async () => {
    const table = new RouteTable([api]);
    const a = snapshot(1, ['https://a.example']);
    const b = snapshot(2, ['https://b.example']);
    table.prepare(a);
    const pending = table.prepareAsync(b);
    // Nothing has changed yet: the request sees version 1 and the route policy compiled for it.
    expect(table.snapshot).toBe(a);
    expect(allows(table, 'https://a.example')).toBe(true);
    await pending;
    expect(table.snapshot).toBe(b);
    expect(allows(table, 'https://a.example')).toBe(false);
    expect(allows(table, 'https://b.example')).toBe(true);
  });

  it('never lets a slower compile of an older version replace a newer one', async () => {
    const table = new RouteTable([api]);
    table.prepare(snapshot(1, ['https://a.example']));
    const big = snapshot(
      2,
      Array.from({ length: 20_000 }, (_, i) => `https://h${i}.example`),
    );
    const small = snapshot(3, ['https://c.example']);
    await Promise.all([table.prepareAsync(big), table.prepareAsync(small)]);
    expect(table.snapshot).toBe(small);
    expect(allows(table, 'https://c.example')).toBe(true);
    expect(allows(table, 'https://h1.example')).toBe(false);
  });

  it('fails closed when the route cannot compile with the new list, and names the route', async () => {
    const table = new RouteTable([api]);
    const errors: string[] = [];
    table.onRouteError = (route, error) => errors.push(`${route.path} ${error.issues[0]?.code}`);
    table.prepare(snapshot(1, ['https://a.example']));
    // The allowlist itself compiled without credentials; the route adds credentials, which `*` refuses.
    const anyOrigin: AllowlistSnapshot = { ...snapshot(2, []), policy: createPolicy({ origins: ['*'] }) };
    await table.prepareAsync(anyOrigin);
    expect(errors).toEqual(['/api/* CG_ORIGIN_ANY_WITH_CREDENTIALS']);
    expect(table.snapshot).toBe(anyOrigin);
    expect(allows(table, 'https://a.example')).toBe(false);
  });
});
