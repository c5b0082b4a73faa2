/**
 * Per-route policies. A route with its own `origins` has a static policy compiled once; a route
 * without uses the allowlist file's origins, so its policy is recompiled for every applied
 * allowlist version — in slices (`createPolicyAsync`), off the hot path — and the allowlist
 * snapshot and its route policies are swapped together in one assignment. A request reads one
 * `state`, so it sees the old pair or the new one, never a mix; until the new routes are compiled,
 * the old pair stays in force (a few milliseconds for a short list, ~100 ms for 100,000 lines).
 */
import { type CorsConfig, CorsConfigError, createPolicy, createPolicyAsync, type Policy } from 'corsgate';
import type { AllowlistSnapshot } from 'corsgate/allowlist';
import type { RouteConfig } from '../config/types.js';

export interface ResolvedRoute {
  readonly route: RouteConfig | undefined;
  readonly policy: Policy;
  readonly stripCookies: boolean;
}

/** A policy that allows no cross-origin caller: what a route falls back to if it cannot compile. */
const CLOSED = createPolicy({});

export class RouteTable {
  private readonly routes: readonly RouteConfig[];
  /** What each route matches: lower case unless matching is case-sensitive. */
  private readonly keys: readonly string[];
  private readonly caseSensitive: boolean;
  readonly empty: boolean;
  private readonly staticPolicies: (Policy | undefined)[];
  private state: { readonly snapshot: AllowlistSnapshot; readonly policies: readonly Policy[] } | undefined;
  /** Bumped by every prepare, so a slower compile of an older snapshot never replaces a newer one. */
  private generation = 0;
  /** Called when a route cannot compile against a new allowlist version (it then fails closed). */
  onRouteError: ((route: RouteConfig, error: CorsConfigError) => void) | undefined;

  /**
   * @param caseSensitive match paths as written; by default `/API/x` is under `/api/*`, since an
   *   upstream that routes case-insensitively (Express by default) serves it there.
   */
  constructor(routes: readonly RouteConfig[], caseSensitive = false) {
    this.routes = routes;
    this.caseSensitive = caseSensitive;
    this.keys = routes.map((r) => (caseSensitive ? r.match : r.match.toLowerCase()));
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

  /** The allowlist snapshot in force together with the route policies compiled for it. */
  get snapshot(): AllowlistSnapshot | undefined {
    return this.state?.snapshot;
  }

  /** Compiles the policies for a snapshot synchronously (at start, before traffic). */
  prepare(snapshot: AllowlistSnapshot): void {
    this.generation++;
    const origins = snapshot.policy.config().origins;
    const policies = this.routes.map(
      (r, i) =>
        this.staticPolicies[i] ?? this.compileOrClose(r, () => createPolicy({ ...r.policy, origins })),
    );
    this.state = { snapshot, policies };
  }

  /**
   * Compiles the policies for a new snapshot in slices and then swaps them in with it. Called on
   * every applied reload; requests keep the previous pair meanwhile.
   */
  async prepareAsync(snapshot: AllowlistSnapshot): Promise<void> {
    if (this.state?.snapshot === snapshot) return;
    const generation = ++this.generation;
    const origins = snapshot.policy.config().origins;
    const policies: Policy[] = [];
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i]!;
      const fixed = this.staticPolicies[i];
      policies.push(fixed ?? (await this.compileOrCloseAsync(r, origins)));
      if (generation !== this.generation) return;
    }
    this.state = { snapshot, policies };
  }

  private compileOrClose(route: RouteConfig, compile: () => Policy): Policy {
    try {
      return compile();
    } catch (error) {
      if (!(error instanceof CorsConfigError)) throw error;
      this.onRouteError?.(route, error);
      return CLOSED;
    }
  }

  private async compileOrCloseAsync(route: RouteConfig, origins: readonly string[]): Promise<Policy> {
    try {
      return await createPolicyAsync({ ...route.policy, origins } as CorsConfig);
    } catch (error) {
      if (!(error instanceof CorsConfigError)) throw error;
      this.onRouteError?.(route, error);
      return CLOSED;
    }
  }

  /**
   * The first route matching `path` (normalised: src/path/normalize.ts), with its policy from the
   * state in force. `/exact` also covers `/exact/`, which upstreams route to the same handler.
   * Call `prepare` first.
   */
  resolve(path: string): ResolvedRoute | undefined {
    const routes = this.routes;
    const state = this.state!;
    const key = this.caseSensitive ? path : path.toLowerCase();
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      const match = this.keys[i]!;
      const hit = r.prefix
        ? key.startsWith(match) || (key.length === match.length - 1 && match.startsWith(key))
        : key === match || (key.length === match.length + 1 && key.endsWith('/') && key.startsWith(match));
      if (!hit) continue;
      return { route: r, policy: state.policies[i]!, stripCookies: r.stripCookies };
    }
    return undefined;
  }
}
