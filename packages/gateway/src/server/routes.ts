/**
 * Per-route policies. A route with its own `origins` has a static policy compiled once; a route
 * without uses the allowlist file's origins, so its policy is recompiled for every applied
 * allowlist version, off the hot path, and looked up by snapshot.
 */
import { type CorsConfig, CorsConfigError, createPolicy, type Policy } from 'corsgate';
import type { RouteConfig } from '../config/types.js';
import type { AllowlistSnapshot } from './allowlist.js';

export interface ResolvedRoute {
  readonly route: RouteConfig | undefined;
  readonly policy: Policy;
  readonly stripCookies: boolean;
}

/** A policy that allows no cross-origin caller: what a route falls back to if it cannot compile. */
const CLOSED = createPolicy({});

export class RouteTable {
  private readonly routes: readonly RouteConfig[];
  readonly empty: boolean;
  private readonly staticPolicies: (Policy | undefined)[];
  private cache: { snapshot: AllowlistSnapshot; policies: Policy[] } | undefined;
  /** Called when a route cannot compile against a new allowlist version (it then fails closed). */
  onRouteError: ((route: RouteConfig, error: CorsConfigError) => void) | undefined;

  constructor(routes: readonly RouteConfig[]) {
    this.routes = routes;
    this.empty = routes.length === 0;
    this.staticPolicies = routes.map((r) =>
      r.origins === undefined ? undefined : createPolicy({ ...r.policy, origins: r.origins } as CorsConfig),
    );
  }

  /** Compiles the inheriting routes for a snapshot; errors name the route. */
  static check(
    routes: readonly RouteConfig[],
    origins: readonly string[],
  ): { route: RouteConfig; error: CorsConfigError }[] {
    const out: { route: RouteConfig; error: CorsConfigError }[] = [];
    for (const r of routes) {
      if (r.origins !== undefined) continue;
      try {
        createPolicy({ ...r.policy, origins });
      } catch (error) {
        if (error instanceof CorsConfigError) out.push({ route: r, error });
        else throw error;
      }
    }
    return out;
  }

  /** Compiles the policies for a snapshot now (called on every applied reload, off the hot path). */
  prepare(snapshot: AllowlistSnapshot): void {
    if (this.cache?.snapshot === snapshot) return;
    const origins = snapshot.policy.config().origins;
    const policies = this.routes.map((r, i) => {
      const fixed = this.staticPolicies[i];
      if (fixed !== undefined) return fixed;
      try {
        return createPolicy({ ...r.policy, origins });
      } catch (error) {
        if (!(error instanceof CorsConfigError)) throw error;
        this.onRouteError?.(r, error);
        return CLOSED;
      }
    });
    this.cache = { snapshot, policies };
  }

  resolve(path: string, snapshot: AllowlistSnapshot): ResolvedRoute | undefined {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      const hit = r.prefix ? path.startsWith(r.match) || path === r.match.slice(0, -1) : path === r.match;
      if (!hit) continue;
      if (this.cache?.snapshot !== snapshot) this.prepare(snapshot);
      return { route: r, policy: this.cache!.policies[i]!, stripCookies: r.stripCookies };
    }
    return undefined;
  }
}
