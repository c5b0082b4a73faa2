/**
 * corsgate/fastify's per-route setting (`config: { cors }`) and its preflights wherever the plugin is
 * registered, on real Fastify 5 and 4 over loopback (docs/middleware.md "Fastify").
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeniedEvent } from '../../src/adapters/fastify/index.js';
import { cors } from '../../src/adapters/fastify/index.js';
import { CorsConfigError } from '../../src/index.js';
import { APP, CONFIG, headerValues, PREFLIGHT, rawRequest, varyTokens } from './_helpers.js';

const PARTNER = 'https://partner.example';
const PARTNER_POLICY = { origins: [PARTNER], methods: ['PUT'] };

const preflight = (origin: string, method: string): [string, string][] => [
  ['Origin', origin],
  ['Access-Control-Request-Method', method],
];

/** The router's path rules, given where each major reads them. */
interface RouterRules {
  ignoreTrailingSlash?: boolean;
  ignoreDuplicateSlashes?: boolean;
  caseSensitive?: boolean;
}

const MAJORS: [string, (rules?: RouterRules) => FastifyInstance][] = [
  ['Fastify 5', (rules) => Fastify(rules === undefined ? {} : { routerOptions: rules })],
  ['Fastify 4', (rules) => (fastify4 as unknown as typeof Fastify)(rules as never)],
];

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(MAJORS)('corsgate/fastify per route, on %s', (_major, create) => {
  async function serve(
    build: (app: FastifyInstance) => Promise<void> | void,
    rules?: RouterRules,
  ): Promise<string> {
    app = create(rules);
    await build(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  }

  it('sends no CORS headers for a route with cors: false, and leaves its preflights to Fastify’s 404', async () => {
    let calls = 0;
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.put('/webhook', { config: { cors: false } }, async () => {
        calls++;
        return 'stored';
      });
      root.put('/api/items', async () => 'saved');
    });
    const put = await rawRequest(url, { method: 'PUT', path: '/webhook', headers: [['Origin', APP]] });
    expect(put.status).toBe(200);
    expect(put.body).toBe('stored');
    expect(headerValues(put, 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(put, 'access-control-allow-credentials')).toEqual([]);
    expect(headerValues(put, 'vary')).toEqual([]);
    const refused = await rawRequest(url, { method: 'OPTIONS', path: '/webhook', headers: PREFLIGHT });
    expect(refused.status).toBe(404);
    expect(refused.body).toContain('Route OPTIONS:/webhook not found');
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(refused, 'access-control-allow-methods')).toEqual([]);
    expect(calls).toBe(1);
    const other = await rawRequest(url, { method: 'OPTIONS', path: '/api/items', headers: PREFLIGHT });
    expect(other.status).toBe(204);
    expect(headerValues(other, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('decides a route with its own policy by that policy only: its origins there, the plugin’s elsewhere', async () => {
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.put('/partner/orders', { config: { cors: PARTNER_POLICY } }, async () => 'ordered');
      root.put('/api/items', async () => 'saved');
    });
    const allowed = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/partner/orders',
      headers: preflight(PARTNER, 'PUT'),
    });
    expect(allowed.status).toBe(204);
    expect(headerValues(allowed, 'access-control-allow-origin')).toEqual([PARTNER]);
    expect(headerValues(allowed, 'access-control-allow-methods')).toEqual(['PUT']);
    expect(headerValues(allowed, 'access-control-allow-credentials')).toEqual([]);
    const appThere = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/partner/orders',
      headers: preflight(APP, 'PUT'),
    });
    expect(appThere.status).toBe(403);
    expect(headerValues(appThere, 'access-control-allow-origin')).toEqual([]);
    const appActual = await rawRequest(url, {
      method: 'PUT',
      path: '/partner/orders',
      headers: [['Origin', APP]],
    });
    expect(appActual.status).toBe(200);
    expect(headerValues(appActual, 'access-control-allow-origin')).toEqual([]);
    expect(headerValues(appActual, 'vary')).toEqual(['Origin']);
    const partnerActual = await rawRequest(url, {
      method: 'PUT',
      path: '/partner/orders',
      headers: [['Origin', PARTNER]],
    });
    expect(headerValues(partnerActual, 'access-control-allow-origin')).toEqual([PARTNER]);
    const partnerElsewhere = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/api/items',
      headers: preflight(PARTNER, 'PUT'),
    });
    expect(partnerElsewhere.status).toBe(403);
    expect(headerValues(partnerElsewhere, 'access-control-allow-origin')).toEqual([]);
    const partnerActualElsewhere = await rawRequest(url, {
      method: 'PUT',
      path: '/api/items',
      headers: [['Origin', PARTNER]],
    });
    expect(headerValues(partnerActualElsewhere, 'access-control-allow-origin')).toEqual([]);
  });

  it('decides a preflight to a parameterised path by the route Fastify would serve it with', async () => {
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.put('/items/:id', { config: { cors: PARTNER_POLICY } }, async () => 'put');
      root.delete('/items/special', async () => 'deleted');
    });
    // PUT /items/special is served by /items/:id (the static route has no PUT): its policy decides.
    const put = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items/special',
      headers: preflight(PARTNER, 'PUT'),
    });
    expect(put.status).toBe(204);
    expect(headerValues(put, 'access-control-allow-origin')).toEqual([PARTNER]);
    const del = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items/special',
      headers: preflight(APP, 'DELETE'),
    });
    expect(del.status).toBe(204);
    expect(headerValues(del, 'access-control-allow-origin')).toEqual([APP]);
    const partnerDelete = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items/special',
      headers: preflight(PARTNER, 'DELETE'),
    });
    expect(partnerDelete.status).toBe(403);
  });

  it('keeps Vary: Origin on a route with its own policy when the handler sets Vary itself', async () => {
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.get('/partner/feed', { config: { cors: PARTNER_POLICY } }, async (_request, reply) => {
        reply.header('Vary', 'Accept-Encoding');
        return 'feed';
      });
    });
    const response = await rawRequest(url, {
      method: 'GET',
      path: '/partner/feed',
      headers: [['Origin', PARTNER]],
    });
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([PARTNER]);
    expect(varyTokens(response)).toEqual(['Accept-Encoding', 'Origin']);
  });

  it('blocks a refused origin’s PUT on a route whose own policy asks for it, and reports it to its onDenied', async () => {
    const events: DeniedEvent[] = [];
    let calls = 0;
    const url = await serve(async (root) => {
      await root.register(cors, CONFIG);
      root.put(
        '/partner/orders',
        {
          config: {
            cors: { ...PARTNER_POLICY, blockDisallowedUnsafeRequests: true, onDenied: (e) => events.push(e) },
          },
        },
        async () => {
          calls++;
          return 'ordered';
        },
      );
    });
    const blocked = await rawRequest(url, {
      method: 'PUT',
      path: '/partner/orders',
      headers: [['Origin', APP]],
    });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toBe('');
    expect(calls).toBe(0);
    expect(events.map((e) => [e.kind, e.method, e.path, e.reason, e.origin])).toEqual([
      ['actual', 'PUT', '/partner/orders', 'origin-not-allowed', APP],
    ]);
  });

  it('gives a route’s own policy the plugin’s blockDisallowedUnsafeRequests and onDenied unless it sets them', async () => {
    const events: DeniedEvent[] = [];
    let calls = 0;
    const url = await serve(async (root) => {
      await root.register(cors, {
        ...CONFIG,
        blockDisallowedUnsafeRequests: true,
        onDenied: (e) => events.push(e),
      });
      root.put('/partner/orders', { config: { cors: PARTNER_POLICY } }, async () => {
        calls++;
        return 'ordered';
      });
      root.put(
        '/partner/open',
        { config: { cors: { ...PARTNER_POLICY, blockDisallowedUnsafeRequests: false } } },
        async () => {
          calls++;
          return 'open';
        },
      );
    });
    const blocked = await rawRequest(url, {
      method: 'PUT',
      path: '/partner/orders',
      headers: [['Origin', APP]],
    });
    expect(blocked.status).toBe(403);
    expect(calls).toBe(0);
    const passed = await rawRequest(url, {
      method: 'PUT',
      path: '/partner/open',
      headers: [['Origin', APP]],
    });
    expect(passed.status).toBe(200);
    expect(headerValues(passed, 'access-control-allow-origin')).toEqual([]);
    expect(calls).toBe(1);
    expect(events.map((e) => [e.path, e.reason])).toEqual([
      ['/partner/orders', 'origin-not-allowed'],
      ['/partner/open', 'origin-not-allowed'],
    ]);
  });

  it('decides preflights under a prefix by the target route’s own setting', async () => {
    const url = await serve(async (root) => {
      await root.register(
        async (api) => {
          await api.register(cors, CONFIG);
          api.put('/items', async () => 'saved');
          api.put('/partner', { config: { cors: PARTNER_POLICY } }, async () => 'ordered');
          api.put('/hook', { config: { cors: false } }, async () => 'hooked');
        },
        { prefix: '/api' },
      );
    });
    const items = await rawRequest(url, { method: 'OPTIONS', path: '/api/items', headers: PREFLIGHT });
    expect(items.status).toBe(204);
    expect(headerValues(items, 'access-control-allow-origin')).toEqual([APP]);
    const partner = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/api/partner',
      headers: preflight(PARTNER, 'PUT'),
    });
    expect(partner.status).toBe(204);
    expect(headerValues(partner, 'access-control-allow-origin')).toEqual([PARTNER]);
    const appToPartner = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/api/partner',
      headers: PREFLIGHT,
    });
    expect(appToPartner.status).toBe(403);
    const hook = await rawRequest(url, { method: 'OPTIONS', path: '/api/hook', headers: PREFLIGHT });
    expect(hook.status).toBe(404);
    expect(headerValues(hook, 'access-control-allow-origin')).toEqual([]);
    const unknown = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/api/nothing-here',
      headers: PREFLIGHT,
    });
    expect(unknown.status).toBe(204);
  });

  it('answers preflights of an encapsulated plugin registered without a prefix, and only there', async () => {
    const url = await serve(async (root) => {
      await root.register(async (child) => {
        await child.register(cors, CONFIG);
        child.put('/items', async () => 'saved');
        child.delete('/items/:id', async () => 'deleted');
      });
      root.put('/health', async () => 'ok');
    });
    const put = await rawRequest(url, { method: 'OPTIONS', path: '/items', headers: PREFLIGHT });
    expect(put.status).toBe(204);
    expect(headerValues(put, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(put, 'access-control-allow-methods')).toEqual(['PUT']);
    const del = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items/7',
      headers: preflight(APP, 'DELETE'),
    });
    expect(del.status).toBe(204);
    const refused = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items',
      headers: preflight('https://evil.example', 'PUT'),
    });
    expect(refused.status).toBe(403);
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([]);
    const outside = await rawRequest(url, { method: 'OPTIONS', path: '/health', headers: PREFLIGHT });
    expect(outside.status).toBe(404);
    expect(headerValues(outside, 'access-control-allow-origin')).toEqual([]);
    const notPreflight = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items',
      headers: [['Origin', APP]],
    });
    expect(notPreflight.status).toBe(404);
  });

  it('lets two sibling plugins without prefixes each register corsgate with their own origins', async () => {
    const A = 'https://a.example';
    const B = 'https://b.example';
    const url = await serve(async (root) => {
      await root.register(async (a) => {
        await a.register(cors, { origins: [A], methods: ['PUT'] });
        a.put('/shared', async () => 'a');
      });
      await root.register(async (b) => {
        await b.register(cors, { origins: [B], methods: ['DELETE'] });
        b.delete('/shared', async () => 'b');
      });
    });
    const a = await rawRequest(url, { method: 'OPTIONS', path: '/shared', headers: preflight(A, 'PUT') });
    expect(a.status).toBe(204);
    expect(headerValues(a, 'access-control-allow-origin')).toEqual([A]);
    const b = await rawRequest(url, { method: 'OPTIONS', path: '/shared', headers: preflight(B, 'DELETE') });
    expect(b.status).toBe(204);
    expect(headerValues(b, 'access-control-allow-origin')).toEqual([B]);
    expect(headerValues(b, 'access-control-allow-methods')).toEqual(['DELETE']);
    const crossed = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/shared',
      headers: preflight(A, 'DELETE'),
    });
    expect(crossed.status).toBe(403);
    expect(headerValues(crossed, 'access-control-allow-origin')).toEqual([]);
    const actual = await rawRequest(url, { method: 'DELETE', path: '/shared', headers: [['Origin', B]] });
    expect(actual.body).toBe('b');
    expect(headerValues(actual, 'access-control-allow-origin')).toEqual([B]);
  });

  it('keeps an application’s OPTIONS routes, declared before or after the route, for every OPTIONS request but preflights', async () => {
    const url = await serve(async (root) => {
      await root.register(async (child) => {
        await child.register(cors, CONFIG);
        child.put('/items', { config: { cors: PARTNER_POLICY } }, async () => 'saved');
        child.options('/items', async (_request, reply) =>
          reply.header('Allow', 'PUT, OPTIONS').send('allow'),
        );
        child.options('/things', async () => 'things first');
        child.put('/things', async () => 'saved');
      });
    });
    const before = await rawRequest(url, { method: 'OPTIONS', path: '/things' });
    expect(before.body).toBe('things first');
    const thingsPreflight = await rawRequest(url, { method: 'OPTIONS', path: '/things', headers: PREFLIGHT });
    expect(thingsPreflight.status).toBe(204);
    expect(headerValues(thingsPreflight, 'access-control-allow-origin')).toEqual([APP]);
    const own = await rawRequest(url, { method: 'OPTIONS', path: '/items', headers: [['Origin', APP]] });
    expect(own.status).toBe(200);
    expect(own.body).toBe('allow');
    expect(headerValues(own, 'allow')).toEqual(['PUT, OPTIONS']);
    const answered = await rawRequest(url, {
      method: 'OPTIONS',
      path: '/items',
      headers: preflight(PARTNER, 'PUT'),
    });
    expect(answered.status).toBe(204);
    expect(answered.body).toBe('');
    expect(headerValues(answered, 'access-control-allow-origin')).toEqual([PARTNER]);
  });

  it('keeps an application’s catch-all route working beside an encapsulated corsgate', async () => {
    const url = await serve(async (root) => {
      await root.register(async (child) => {
        await child.register(cors, CONFIG);
        child.put('/items', async () => 'saved');
      });
      root.all('/*', async (request) => `catch-all ${request.method}`);
    });
    const options = await rawRequest(url, { method: 'OPTIONS', path: '/items', headers: [['Origin', APP]] });
    expect(options.status).toBe(200);
    expect(options.body).toBe('catch-all OPTIONS');
    const other = await rawRequest(url, { method: 'GET', path: '/elsewhere', headers: [['Origin', APP]] });
    expect(other.body).toBe('catch-all GET');
    expect(headerValues(other, 'access-control-allow-origin')).toEqual([]);
    const answered = await rawRequest(url, { method: 'OPTIONS', path: '/items', headers: PREFLIGHT });
    expect(answered.status).toBe(204);
    expect(headerValues(answered, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('fails a route’s registration when its cors setting is invalid, with the configuration error’s code', async () => {
    app = create();
    await app.register(cors, CONFIG);
    const handler = async () => 'never';
    let thrown: unknown;
    try {
      app.put('/bad', { config: { cors: { origins: ['*'], credentials: true } } }, handler);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CorsConfigError);
    expect((thrown as CorsConfigError).issues.map((i) => i.code)).toContain('CG_ORIGIN_ANY_WITH_CREDENTIALS');
    expect(() => app?.put('/worse', { config: { cors: true as never } }, handler)).toThrow(
      /"config.cors" of route PUT \/worse must be false or corsgate options/,
    );
    try {
      app.put('/worse', { config: { cors: 'yes' as never } }, handler);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as CorsConfigError).issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['CG_CONFIG_TYPE', 'config.cors'],
    ]);
  });

  it('fails ready when a plugin declares a route with an invalid cors setting', async () => {
    app = create();
    await app.register(cors, CONFIG);
    app.register(async (child) => {
      child.put('/bad', { config: { cors: { origin: APP } as never } }, async () => 'never');
    });
    const failure = await app.ready().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(CorsConfigError);
    const unknown = (failure as CorsConfigError).issues.find((i) => i.code === 'CG_CONFIG_UNKNOWN_FIELD');
    expect(unknown?.path).toEqual(['config', 'cors', 'origin']);
    expect(unknown?.reason).toContain('(route PUT /bad)');
  });

  it('fails closed with CG_FASTIFY_ROUTE_UNSEEN for a route with config.cors added before corsgate loaded', async () => {
    let calls = 0;
    const url = await serve((root) => {
      root.register(cors, CONFIG); // not awaited: corsgate loads after the next route is added
      root.put('/early', { config: { cors: false } }, async () => {
        calls++;
        return 'early';
      });
      root.register(async (child) => {
        child.put('/late', { config: { cors: PARTNER_POLICY } }, async () => 'late');
      });
    });
    const early = await rawRequest(url, { method: 'PUT', path: '/early', headers: [['Origin', APP]] });
    expect(early.status).toBe(500);
    expect(early.body).toContain('CG_FASTIFY_ROUTE_UNSEEN');
    expect(early.body).toContain('route PUT /early');
    expect(headerValues(early, 'access-control-allow-origin')).toEqual([]);
    expect(calls).toBe(0);
    const late = await rawRequest(url, { method: 'PUT', path: '/late', headers: [['Origin', PARTNER]] });
    expect(late.status).toBe(200);
    expect(headerValues(late, 'access-control-allow-origin')).toEqual([PARTNER]);
  });

  it.each([
    ['the router’s defaults', undefined],
    ['lenient path rules', { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false }],
  ] as [string, RouterRules | undefined][])(
    'never answers a preflight for a path that reaches a cors: false route, however the path is spelt (%s)',
    async (_rules, rules) => {
      const reached: string[] = [];
      const url = await serve(async (root) => {
        await root.register(cors, CONFIG);
        root.put('/hooks/:id', { config: { cors: false } }, async (request) => {
          reached.push(request.url);
          return 'stored';
        });
      }, rules);
      const spellings = [
        '/hooks/1',
        '/hooks/1?x=1',
        '/hooks/%31',
        '/hooks/1/',
        '//hooks/1',
        '/HOOKS/1',
        '/hooks/1;x',
      ];
      for (const path of spellings) {
        const before = reached.length;
        const actual = await rawRequest(url, { method: 'PUT', path, headers: [['Origin', APP]] });
        const reachesRoute = reached.length > before;
        const answer = await rawRequest(url, { method: 'OPTIONS', path, headers: PREFLIGHT });
        // A path Fastify serves with the route is never given a preflight answer; one it does not
        // may get the plugin's, harmlessly: its actual request never reaches the route.
        if (reachesRoute) {
          expect(headerValues(actual, 'access-control-allow-origin'), path).toEqual([]);
          expect(answer.status, path).toBe(404);
          expect(headerValues(answer, 'access-control-allow-origin'), path).toEqual([]);
        }
      }
      expect(reached.length).toBeGreaterThanOrEqual(rules === undefined ? 3 : 6);
    },
  );
});
