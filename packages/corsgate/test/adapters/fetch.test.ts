import { describe, expect, it, vi } from 'vitest';
import { withCors } from '../../src/adapters/fetch/index.js';
import { APP, CONFIG, PREFLIGHT } from './_helpers.js';

const get = (headers: Record<string, string> = { Origin: APP }) =>
  new Request('http://api.test/items', { headers });

describe('corsgate/fetch', () => {
  it('keeps a synchronous handler synchronous and returns its own Response object', () => {
    const created = new Response('ok');
    const handler = withCors(() => created, CONFIG);
    const result = handler(get());
    expect(result).toBe(created);
    expect(created.headers.get('access-control-allow-origin')).toBe(APP);
    expect(created.headers.get('vary')).toBe('Origin');
  });

  it('adds headers to the response an asynchronous handler resolves to', async () => {
    const handler = withCors(
      async () => new Response('ok', { headers: { Vary: 'Accept-Encoding' } }),
      CONFIG,
    );
    const result = handler(get());
    expect(result).toBeInstanceOf(Promise);
    const response = await result;
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('vary')).toBe('Accept-Encoding, Origin');
  });

  it('answers a preflight without calling the handler', async () => {
    let calls = 0;
    const handler = withCors(() => {
      calls++;
      return new Response('ok');
    }, CONFIG);
    const response = await handler(
      new Request('http://api.test/items', { method: 'OPTIONS', headers: PREFLIGHT }),
    );
    expect(calls).toBe(0);
    expect(response.status).toBe(204);
    expect(Object.fromEntries(response.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'authorization',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('copies a response whose headers are immutable, keeping status, headers and body', async () => {
    const upstream = Response.redirect('http://api.test/new', 307);
    const handler = withCors(() => upstream, CONFIG);
    const response = (await handler(get())) as Response;
    expect(response).not.toBe(upstream);
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('http://api.test/new');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('passes extra arguments (a worker’s env and ctx) through to the handler', async () => {
    const handler = withCors(
      (_request: Request, env: { name: string }, ctx: { id: number }) =>
        new Response(`${env.name}:${ctx.id}`),
      CONFIG,
    );
    const response = await handler(get(), { name: 'prod' }, { id: 7 });
    expect(await response.text()).toBe('prod:7');
  });

  it('answers a throwing or rejecting handler with a 500 that carries the CORS headers, and logs the error', async () => {
    const logged: unknown[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((error: unknown) => {
      logged.push(error);
    });
    try {
      const rejecting = withCors(async () => {
        throw new Error('async boom');
      }, CONFIG);
      const throwing = withCors(() => {
        throw new Error('sync boom');
      }, CONFIG);
      for (const response of [await rejecting(get()), await throwing(get())]) {
        expect(response.status).toBe(500);
        expect(await response.text()).toBe('Internal Server Error');
        expect(response.headers.get('access-control-allow-origin')).toBe(APP);
        expect(response.headers.get('access-control-allow-credentials')).toBe('true');
        expect(response.headers.get('vary')).toBe('Origin');
      }
      expect(logged.map((e) => (e as Error).message)).toEqual(['async boom', 'sync boom']);
      const refused = await throwing(get({ Origin: 'https://evil.example' }));
      expect(refused.status).toBe(500);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
