/**
 * A route's own CORS setting (`config: { cors }`) and the preflight routes that bring a route's
 * preflights to it (docs/middleware.md "Fastify"). A preflight is an OPTIONS request: Fastify
 * matches it to an OPTIONS route (or the 404), never to the route it asks about, and Fastify 4 and
 * 5 expose no lookup that returns a route's config (`findRoute` gives the handler Fastify wraps every
 * route in). So for each route that needs it, an OPTIONS route is added on the same path, constrained
 * to preflights for that route's method: Fastify's router itself then picks the route a preflight is
 * for, with its own rules (parameters, wildcards, trailing slashes, case), and an application's own
 * OPTIONS routes and catch-alls stay reachable for every other OPTIONS request.
 * @internal
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { CorsConfigError, issue } from '../../engine/errors.js';
import { type CorsOptions, type MiddlewareOptions, type PolicySource, policySource } from '../_shared.js';

/** A route's setting: `false` (no CORS) or a source compiled from its own options. */
export type RouteSetting = PolicySource | false;

/** Where the compiled setting of a route is kept, in the route's config (Fastify copies it). */
export const ROUTE_SETTING: unique symbol = Symbol('corsgate.route-setting');
/** On a preflight route: the setting of the route its preflights are for. */
export const PREFLIGHT_FOR: unique symbol = Symbol('corsgate.preflight-for');

/** What the plugin's hook reads from a route's config. */
export interface RouteConfig {
  readonly cors?: unknown;
  readonly [ROUTE_SETTING]?: RouteSetting;
  readonly [PREFLIGHT_FOR]?: PreflightTarget;
}

/** Mutable, so that a second corsgate over the same route (nested registration) can take it over. */
export interface PreflightTarget {
  setting: RouteSetting;
}

/**
 * The router constraint of the preflight routes: a CORS preflight's `Access-Control-Request-Method`,
 * undefined for every other request (which therefore never matches a preflight route). Not
 * `mustMatchWhenDerived`: a preflight for a path without a preflight route still reaches the
 * application's OPTIONS route, its catch-all or the 404, as it would without corsgate.
 */
const STRATEGY_NAME = 'corsgatePreflight';
const preflightStrategy = {
  name: STRATEGY_NAME,
  mustMatchWhenDerived: false,
  storage() {
    const routes = new Map<string, unknown>();
    return {
      get: (method: string) => routes.get(method) ?? null,
      set: (method: string, store: unknown) => {
        routes.set(method, store);
      },
    };
  },
  deriveConstraint(req: { method?: string; headers: Record<string, string | string[] | undefined> }) {
    if (req.method !== 'OPTIONS' || req.headers.origin === undefined) return undefined;
    const method = req.headers['access-control-request-method'];
    return typeof method === 'string' ? method : undefined;
  },
};

type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];

/** The preflight routes already added, per server: a route is covered once, whoever registers it. */
const covered = new WeakMap<object, Map<string, PreflightTarget>>();

/**
 * What a route's own setting inherits from the plugin unless it sets it: the middleware's options,
 * and `publicOrigins`: where the application is served from is no per-route matter, and a route
 * without it would take same-origin from `Host` again (docs/middleware.md "Same-origin requests").
 */
export type InheritedOptions = MiddlewareOptions & { readonly publicOrigins?: readonly string[] };

/**
 * Compiles a route's `config.cors` once, when the route is added. `false` turns CORS off; an object
 * is a whole configuration of its own (nothing of the plugin's CORS configuration is merged into
 * it), which inherits the plugin's `blockDisallowedUnsafeRequests`, `onDenied` and `publicOrigins`
 * unless it sets them (a compiled `{ policy }` carries its own `publicOrigins`). Undefined when the
 * route has no setting.
 * @throws CorsConfigError when the setting is neither `false` nor valid options.
 */
export function compileRouteSetting(
  route: RouteOptions,
  inherited: InheritedOptions,
): RouteSetting | undefined {
  const value = (route.config as RouteConfig | undefined)?.cors;
  if (value === undefined || value === false) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new CorsConfigError([
      issue(
        'CG_CONFIG_TYPE',
        ['config', 'cors'],
        value,
        `"config.cors" of route ${String(route.method)} ${route.url} must be false or corsgate options`,
      ),
    ]);
  let base: InheritedOptions = inherited;
  if ('policy' in value && inherited.publicOrigins !== undefined) {
    const { publicOrigins: _compiledHasItsOwn, ...rest } = inherited;
    base = rest;
  }
  try {
    return policySource({ ...base, ...(value as object) } as CorsOptions);
  } catch (error) {
    if (!(error instanceof CorsConfigError)) throw error;
    // Says which route: the error may surface from `ready`, far from the route's declaration.
    throw new CorsConfigError(
      error.issues.map((found) => ({
        ...found,
        path: ['config', 'cors', ...found.path],
        reason: `${found.reason} (route ${String(route.method)} ${route.url})`,
      })),
    );
  }
}

/**
 * Adds, on the instance that declares `route`, one OPTIONS route per method of it, on the same path
 * and constraints, matched only by preflights asking for that method, whose config carries the
 * setting to decide them with. The plugin's `onRequest` hook answers them; the handler runs only when
 * corsgate did not answer (the setting is `false`) and gives what Fastify gives without a route: its
 * 404 handler.
 */
export function addPreflightRoutes(
  instance: FastifyInstance,
  route: RouteOptions,
  setting: RouteSetting,
): void {
  let routes = covered.get(instance.server);
  if (routes === undefined) {
    routes = new Map();
    covered.set(instance.server, routes);
  }
  // A browser sends no Accept-Version on a preflight: the preflight routes of a versioned route are
  // not versioned, and versions of one route share the last declared setting (docs/middleware.md).
  const { version: _version, ...constraints } = (route.constraints ?? {}) as Record<string, unknown>;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  for (const method of methods) {
    if (method === 'OPTIONS') continue;
    const key = `${method} ${route.url} ${JSON.stringify(constraints)}`;
    const existing = routes.get(key);
    if (existing !== undefined) {
      existing.setting = setting;
      continue;
    }
    if (!instance.hasConstraintStrategy(STRATEGY_NAME))
      instance.addConstraintStrategy(preflightStrategy as unknown as ConstraintStrategy);
    const target: PreflightTarget = { setting };
    routes.set(key, target);
    instance.route({
      method: 'OPTIONS',
      url: (route as { routePath?: string }).routePath ?? route.url,
      constraints: { ...constraints, [STRATEGY_NAME]: method },
      config: { [PREFLIGHT_FOR]: target } as RouteOptions['config'],
      schema: { hide: true } as RouteOptions['schema'],
      handler: notAnswered,
    });
  }
}

function notAnswered(_request: FastifyRequest, reply: FastifyReply): void {
  reply.callNotFound();
}
