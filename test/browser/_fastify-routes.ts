/**
 * corsgate/fastify's per-route setting in a real engine (docs/middleware.md "Fastify"), with the
 * plugin registered inside an encapsulated plugin without a prefix: a page's JSON PUT reaches a
 * route only when that route's own policy allows the page's origin, and never reaches a route with
 * `cors: false`; the handlers count what reached them. Fastify 5 and 4, over HTTPS on loopback,
 * in the matrix's browser of each engine.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cors } from '../../packages/corsgate/src/adapters/fastify/index.js';
import type { EngineContext } from './_engine.js';
import type { Suite } from './_harness.js';

/** A page's JSON PUT (it needs a preflight): what its script sees. */
async function putFrom(context: EngineContext, origin: string, url: string): Promise<string> {
  const page = await context.open(`${origin}/`);
  const seen = await page.evaluate(async (target: string) => {
    try {
      const r = await fetch(target, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"name":"a"}',
      });
      return `${r.status} ${await r.text()}`;
    } catch {
      return 'rejected';
    }
  }, url);
  await page.close();
  return seen;
}

export function defineFastifyRoutes(engineLabel: string, getSuite: () => Suite): void {
  describe.each([
    ['Fastify 5', Fastify],
    ['Fastify 4', fastify4 as unknown as typeof Fastify],
  ])(`a route’s own CORS setting on %s, in ${engineLabel}`, (_major, create) => {
    let app: FastifyInstance;
    let api: string;
    let context: EngineContext;
    const reached: string[] = [];
    const appPage = (): string => `https://app.test:${getSuite().ports.https}`;
    const partnerPage = (): string => `https://partner.test:${getSuite().ports.https}`;

    beforeAll(async () => {
      const { tls } = getSuite();
      app = create({ https: { cert: tls.cert, key: tls.key } }) as unknown as FastifyInstance;
      await app.register(async (child) => {
        await child.register(cors, {
          origins: [appPage()],
          methods: ['PUT'],
          requestHeaders: ['Content-Type'],
        });
        const handler = async (request: { url: string }) => {
          reached.push(request.url);
          return 'done';
        };
        child.put('/items', handler);
        child.put(
          '/partner',
          {
            config: {
              cors: { origins: [partnerPage()], methods: ['PUT'], requestHeaders: ['Content-Type'] },
            },
          },
          handler,
        );
        child.put('/hook', { config: { cors: false } }, handler);
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      api = `https://api.app.test:${(app.server.address() as { port: number }).port}`;
      context = await getSuite().engine.newContext();
    });

    afterAll(async () => {
      await context?.close();
      await app?.close();
    });

    it('lets each origin PUT only where its route’s policy allows it, and nobody PUT to a cors: false route', async () => {
      expect(await putFrom(context, appPage(), `${api}/items`)).toBe('200 done');
      expect(await putFrom(context, partnerPage(), `${api}/partner`)).toBe('200 done');
      expect(await putFrom(context, appPage(), `${api}/partner`)).toBe('rejected');
      expect(await putFrom(context, partnerPage(), `${api}/items`)).toBe('rejected');
      expect(await putFrom(context, appPage(), `${api}/hook`)).toBe('rejected');
      // The refused PUTs never left the browser: their preflights failed.
      expect(reached).toEqual(['/items', '/partner']);
    }, 60_000);
  });
}
