import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/fastify/index.js';
import { CorsConfigError, createPolicy } from '../../src/index.js';
import { APP, CONFIG, headerValues, PREFLIGHT, rawRequest } from './_helpers.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(instance: FastifyInstance): Promise<string> {
  await instance.listen({ port: 0, host: '127.0.0.1' });
  const address = instance.server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

describe('corsgate/fastify', () => {
  it('keeps CORS headers on a schema validation error', async () => {
    app = Fastify();
    await app.register(cors, CONFIG);
    app.post(
      '/api/items',
      { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
      async () => ({ ok: true }),
    );
    const url = await start(app);
    const response = await rawRequest(url, {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.body).toContain('FST_ERR_VALIDATION');
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(response, 'access-control-allow-credentials')).toEqual(['true']);
    expect(headerValues(response, 'vary')).toEqual(['Origin']);
  });

  it('answers a preflight before a preHandler auth hook, which never sees it', async () => {
    let authCalls = 0;
    app = Fastify();
    await app.register(cors, CONFIG);
    app.addHook('preHandler', async (request, reply) => {
      authCalls++;
      if (request.headers.authorization !== 'Bearer ok')
        await reply.code(401).send({ error: 'unauthorised' });
    });
    app.put('/api/items', async () => ({ ok: true }));
    const url = await start(app);
    const preflight = await rawRequest(url, { method: 'OPTIONS', path: '/api/items', headers: PREFLIGHT });
    expect(preflight.status).toBe(204);
    expect(authCalls).toBe(0);
    const refused = await rawRequest(url, { method: 'PUT', path: '/api/items', headers: [['Origin', APP]] });
    expect(refused.status).toBe(401);
    expect(headerValues(refused, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('applies to routes in sibling plugins too, because it skips encapsulation', async () => {
    app = Fastify();
    await app.register(cors, CONFIG);
    await app.register(
      async (child) => {
        child.get('/items', async () => ({ ok: true }));
      },
      { prefix: '/v2' },
    );
    const url = await start(app);
    const response = await rawRequest(url, { method: 'GET', path: '/v2/items', headers: [['Origin', APP]] });
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  });

  it('accepts a compiled policy beside Fastify’s own register options, whose prefix limits it', async () => {
    app = Fastify();
    await app.register(cors, { policy: createPolicy(CONFIG), prefix: '/scoped', logLevel: 'warn' } as never);
    app.get('/', async () => 'ok');
    app.get('/scoped/x', async () => 'ok');
    const url = await start(app);
    const get = (path: string) => rawRequest(url, { method: 'GET', path, headers: [['Origin', APP]] });
    expect(headerValues(await get('/scoped/x'), 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(await get('/'), 'access-control-allow-origin')).toEqual([]);
  });

  it('fails registration with the configuration error', async () => {
    app = Fastify();
    await expect(app.register(cors, { origins: ['*'], credentials: true })).rejects.toBeInstanceOf(
      CorsConfigError,
    );
  });
});
