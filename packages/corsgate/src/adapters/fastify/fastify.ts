/**
 * corsgate for Fastify 4 and 5: `await app.register(cors, options)`.
 * @module
 */
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, type Decision } from '../../engine/decision.js';
import { CorsConfigError, issue } from '../../engine/errors.js';
import { appendVary } from '../../engine/vary.js';
import { answerStatus, answersItself } from '../../request/answer.js';
import { isDevelopment } from '../../request/denied.js';
import { keepVaryInHeadObject, nodeFacts } from '../../request/node.js';
import { type CorsOptions, type PolicySource, policySource } from '../_shared.js';
import {
  addPreflightRoutes,
  compileRouteSetting,
  type InheritedOptions,
  PREFLIGHT_FOR,
  ROUTE_SETTING,
  type RouteConfig,
  type RouteSetting,
} from './routes.js';

/**
 * The module format these types were built for: a unique symbol per type file, so that a program
 * that loads both the ES module and the CommonJS types of corsgate (a `.cts` and a `.mts` file
 * in one project) merges two entries into `CorsgateRouteCors`, where two declarations of the same
 * field would conflict (TS2717). Types only: nothing at run time.
 */
declare const FORMAT: unique symbol;

declare module 'fastify' {
  /** A route's corsgate setting, one entry for each module format of corsgate a program loads. */
  interface CorsgateRouteCors {
    [FORMAT]: false | CorsOptions;
  }
  interface FastifyContextConfig {
    /**
     * corsgate for this route (docs/middleware.md "Fastify"): `false` turns CORS off (no headers, its
     * preflights not answered), options give it a policy of its own, compiled when the route is added.
     */
    cors?: CorsgateRouteCors[keyof CorsgateRouteCors];
  }
}

/** Options Fastify's `register` itself reads and passes along; they are not CORS configuration. */
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers'] as const;

/**
 * The plugin's `onRequest` hook: decides the request with the policy of the route it is for (its own
 * setting, or the plugin's), answers preflights and blocked requests, and otherwise sets the headers
 * and lets the request through. A route whose `config.cors` the plugin never saw (added before it
 * was registered) fails closed: its requests get Fastify's 500, never the plugin's policy.
 */
function corsHook(contextSource: PolicySource, routes: RouteCoverage) {
  return (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction): void => {
    let source = contextSource;
    if (routes.seen || routes.readConfig) {
      const config = request.routeOptions.config as RouteConfig;
      const target = config[PREFLIGHT_FOR];
      const setting = target === undefined ? config[ROUTE_SETTING] : target.setting;
      if (setting === false) {
        next();
        return;
      }
      if (setting !== undefined) source = setting;
      else if (config.cors !== undefined) {
        next(unseenRoute(request));
        return;
      }
    }
    const raw = request.raw;
    const facts = nodeFacts(raw);
    const decision = source.current().evaluate(facts);
    if (source.report !== undefined && !decision.allowed) source.report(decision, facts, raw.url);
    const vary = setHeaders(reply, decision);
    if (answersItself(decision, facts.method, source.block)) {
      reply.code(answerStatus(decision)).send();
      return;
    }
    keepVaryInHeadObject(reply.raw, decision.vary, vary);
    next();
  };
}

/**
 * `register(cors, { prefix: '/api' })`: the plugin declares `skip-override`, so Fastify applies the
 * prefix to routes it declares, not to its hooks; CORS is limited to the prefix here
 * (docs/migrating.md). The route the router matched decides (the path it decoded, so an encoded
 * `/%61pi/items` is the `/api/items` it reaches); without one (a 404), the request's path.
 */
function underPrefix(prefix: string, hook: ReturnType<typeof corsHook>): ReturnType<typeof corsHook> {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return (request, reply, next) => {
    const path = request.routeOptions.url ?? (request.raw.url ?? '/').split('?')[0]!;
    if (path === base || path.startsWith(`${base}/`)) hook(request, reply, next);
    else next();
  };
}

/** What the plugin knows of the routes of its context. */
interface RouteCoverage {
  /** Some route has a setting of its own: the hook reads the route's config. */
  seen: boolean;
  /**
   * The hook reads every route's config even before one has a setting, to catch a route added before
   * the plugin: on Fastify 5 (a read costs ~20 ns) and in development. Fastify 4 builds
   * `request.routeOptions` anew on each read (~1-3 µs), so in production it reads only once `seen`.
   */
  readonly readConfig: boolean;
  /** The plugin sits in an encapsulated context without a prefix: every route gets preflight routes. */
  readonly everyRoute: boolean;
  /** The sources compiled for routes, closed with the plugin. */
  readonly sources: PolicySource[];
  /** The plugin's `publicOrigins`, which a route's own configuration inherits (routes.ts). */
  readonly publicOrigins: readonly string[] | undefined;
}

/**
 * The plugin's `onRoute` hook, for each route added in its context: compiles the route's own
 * setting once (an invalid one fails the route's registration), and adds the preflight routes that
 * bring the route's preflights to the right policy: for a route with a setting, and for every route
 * when the plugin sits in an encapsulated context without a prefix, whose preflights would otherwise
 * get the root's 404, which runs no hook of that context.
 */
function coverRoute(
  instance: FastifyInstance,
  route: RouteOptions,
  contextSource: PolicySource,
  routes: RouteCoverage,
  options: CorsOptions,
): void {
  const config = route.config as RouteConfig | undefined;
  if (config?.[PREFLIGHT_FOR] !== undefined) return;
  let setting: RouteSetting | undefined = config?.[ROUTE_SETTING];
  if (setting === undefined) {
    const inherited: InheritedOptions = {
      ...(routes.publicOrigins === undefined ? {} : { publicOrigins: routes.publicOrigins }),
      ...(options.blockDisallowedUnsafeRequests === undefined
        ? {}
        : { blockDisallowedUnsafeRequests: options.blockDisallowedUnsafeRequests }),
      ...(options.onDenied === undefined ? {} : { onDenied: options.onDenied }),
    };
    setting = compileRouteSetting(route, inherited);
    if (setting !== undefined)
      route.config = { ...route.config, [ROUTE_SETTING]: setting } as RouteOptions['config'];
    if (setting !== undefined && setting !== false) routes.sources.push(setting);
  }
  if (setting !== undefined) routes.seen = true;
  if (setting !== undefined || routes.everyRoute)
    addPreflightRoutes(instance, route, setting ?? contextSource);
}

/**
 * True in a context a plugin created without a prefix: the root instance is a plain object, every
 * encapsulated context is created from its parent (Fastify 4 and 5). The plugin's own context (it
 * skips encapsulation) is the one it was registered in.
 */
function isEncapsulatedWithoutPrefix(instance: FastifyInstance): boolean {
  return instance.prefix === '' && Object.getPrototypeOf(instance) !== Object.prototype;
}

function unseenRoute(request: FastifyRequest): CorsConfigError {
  const route = `${request.routeOptions.method} ${request.routeOptions.url}`;
  return new CorsConfigError([
    issue(
      'CG_FASTIFY_ROUTE_UNSEEN',
      ['config', 'cors'],
      request.routeOptions.config.cors,
      `route ${route} has a "config.cors" corsgate never saw: it was added before corsgate was registered`,
      'declare routes after `await app.register(cors, options)`',
    ),
  ]);
}

/**
 * The decision's header names as Fastify stores them: `reply.header` lower-cases every name it is
 * given (a new string each time, unless it is lower-case already), and the head carries them so.
 */
const FASTIFY_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  [ACAO, ACAC, ACAM, ACAH, ACMA, ACEH, ACAPN].map((name) => [name, name.toLowerCase()]),
);

/** Sets the decision's headers on the reply; returns the `Vary` value set, if any. */
function setHeaders(reply: FastifyReply, decision: Decision): string | undefined {
  const headers = decision.headers;
  for (const name in headers) reply.header(FASTIFY_NAMES[name] ?? name, headers[name]!);
  if (decision.vary.length === 0) return undefined;
  const existing = reply.getHeader('vary');
  const vary = appendVary(typeof existing === 'number' ? String(existing) : existing, decision.vary)!;
  reply.header('vary', vary);
  return vary;
}

/**
 * A Fastify plugin. It declares `skip-override` (as fastify-plugin does) so its `onRequest` hook
 * applies to the context it is registered in, its children and the 404 handler when that is the
 * root; registered under a prefix or in an encapsulated plugin it covers that context's routes,
 * and the `OPTIONS` routes it adds there bring their preflights to it. A route's `config.cors`
 * turns CORS off for it (`false`) or gives it a policy of its own, which also decides the route's
 * preflights. Preflights are answered in `onRequest`, the earliest hook, before body parsing,
 * validation and any `preHandler` authentication, and never reach a route. Other requests get their
 * CORS headers in `onRequest`; Fastify keeps them on error and validation responses.
 * @param options the engine's configuration, or `{ policy }` with a compiled policy.
 * @example
 * import Fastify from 'fastify';
 * import { cors } from 'corsgate/fastify';
 * const app = Fastify();
 * await app.register(cors, { origins: ['https://app.example.com'], credentials: true });
 * app.get('/api/items', async () => []);
 * app.post('/webhooks/stripe', { config: { cors: false } }, receive);
 * await app.listen({ port: 3000 });
 */
function corsgatePlugin(fastify: FastifyInstance, options: CorsOptions, done: (err?: Error) => void): void {
  let source: ReturnType<typeof policySource>;
  try {
    const cleaned: Record<string, unknown> = { ...options };
    for (const key of REGISTER_OPTIONS) delete cleaned[key];
    source = policySource(cleaned as CorsOptions);
  } catch (err) {
    done(err as Error);
    return;
  }
  const routes: RouteCoverage = {
    seen: false,
    readConfig: Number.parseInt(fastify.version, 10) >= 5 || isDevelopment(),
    everyRoute: isEncapsulatedWithoutPrefix(fastify),
    sources: [],
    // Read once from the compiled policy: the option may have come inside `{ policy }`.
    publicOrigins: source.current().config().publicOrigins,
  };
  const hook = corsHook(source, routes);
  const prefix = (options as { prefix?: unknown }).prefix;
  fastify.addHook(
    'onRequest',
    typeof prefix === 'string' && prefix !== '' ? underPrefix(prefix, hook) : hook,
  );
  fastify.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    coverRoute(this, route, source, routes, options);
  });
  // Under a prefix, a preflight reaches this context's onRequest hook only through a route of this
  // context: a path with no OPTIONS route would otherwise get the root's 404, without CORS headers
  // (@fastify/cors registers the same route). At the root the 404 handler runs this hook already,
  // and an application's catch-all route (`app.all('*')`) must stay possible, so none is added
  // there. An OPTIONS request that is not a preflight falls through to the 404 it would have had;
  // an application's own OPTIONS route for a path is more specific and still wins.
  if (fastify.prefix !== '' && !fastify.hasRoute({ method: 'OPTIONS', url: '*' })) {
    fastify.options('*', { schema: { hide: true } as RouteOptions['schema'] }, (_request, reply) => {
      reply.callNotFound();
    });
  }
  // A route's allowlist file is read in the background from the route's declaration on; the app is
  // ready once it is loaded, and not ready (AllowlistError) when it cannot be, as for the plugin's.
  fastify.addHook('onReady', (ready) => {
    Promise.all(routes.sources.map((s) => s.ready)).then(() => ready(), ready);
  });
  fastify.addHook('onClose', (_instance, closed) => {
    Promise.all([source, ...routes.sources].map((s) => s.close())).then(() => closed(), closed);
  });
  source.ready.then(() => done(), done);
}

Object.defineProperty(corsgatePlugin, Symbol.for('skip-override'), { value: true });
Object.defineProperty(corsgatePlugin, Symbol.for('fastify.display-name'), { value: 'corsgate' });
Object.defineProperty(corsgatePlugin, Symbol.for('plugin-meta'), {
  value: { name: 'corsgate', fastify: '4.x || 5.x' },
});

export const cors = corsgatePlugin;
