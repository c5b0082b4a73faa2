/**
 * The programmatic store (docs/sources.md): the application sets, adds and removes origins at run
 * time; each change is one validated version, in force on the next request through any adapter.
 */
import { createServer } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { withCors } from '../../src/adapters/fetch/index.js';
import { cors as nodeCors } from '../../src/adapters/node/index.js';
import { AllowlistError, type AllowlistEvent, createAllowlistStore } from '../../src/allowlist/index.js';
import { headerValues, listen, type Running, rawRequest } from '../adapters/_helpers.js';

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function acao(url: string, origin: string): Promise<string[]> {
  const response = await rawRequest(url, { method: 'GET', path: '/', headers: [['Origin', origin]] });
  return headerValues(response, 'access-control-allow-origin');
}

async function fetchAcao(handler: (r: Request) => Response | Promise<Response>, origin: string) {
  const response = await handler(new Request('http://api.test/', { headers: { Origin: origin } }));
  return response.headers.get('access-control-allow-origin');
}

describe('the programmatic allowlist store', () => {
  it('allows an origin the application added on the very next request, and refuses one it removed (express)', async () => {
    const store = await createAllowlistStore({
      initial: ['https://a.example.com'],
      config: { credentials: true },
    });
    const mw = expressCors({ allowlist: store });
    await mw.ready;
    const app = express();
    app.use(mw);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    running = await listen(createServer(app));

    expect(await acao(running.url, 'https://tenant.example.net')).toEqual([]);
    await store.add('HTTPS://Tenant.Example.NET:443/');
    expect(await acao(running.url, 'https://tenant.example.net')).toEqual(['https://tenant.example.net']);
    await store.remove('https://a.example.com');
    expect(await acao(running.url, 'https://a.example.com')).toEqual([]);
    expect(store.text()).toBe('https://tenant.example.net\n');
    expect(store.current.version).toBe(3);
    await mw.close();
    await store.close();
  });

  it('allows an added origin and refuses a removed one through the Fetch adapter', async () => {
    const store = await createAllowlistStore();
    const handler = withCors(() => new Response('ok'), { allowlist: store });
    await handler.ready;
    expect(await fetchAcao(handler, 'https://b.example.com')).toBe(null);
    await store.set('# tenants, from the database\nhttps://b.example.com\nhttps://c.example.com\n');
    expect(await fetchAcao(handler, 'https://b.example.com')).toBe('https://b.example.com');
    await store.remove(['https://b.example.com']);
    expect(await fetchAcao(handler, 'https://b.example.com')).toBe(null);
    expect(await fetchAcao(handler, 'https://c.example.com')).toBe('https://c.example.com');
    await store.close();
  });

  it('refuses a change with an error as a whole, with its line, and keeps the version in force', async () => {
    const store = await createAllowlistStore({
      initial: 'https://a.example.com\n',
      config: { credentials: true },
    });
    const events: AllowlistEvent[] = [];
    store.on((e) => events.push(e));
    const error = await store.set('https://b.example.com\n*\n').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllowlistError);
    expect((error as AllowlistError).issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'CG_ORIGIN_ANY_WITH_CREDENTIALS'],
    ]);
    expect(store.current.version).toBe(1);
    expect(store.current.policy.config().origins).toEqual(['https://a.example.com']);
    expect(store.status().lastReloadResult).toBe('rejected');
    expect(store.status().lastErrors[0]?.line).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['rejected']);
    await expect(store.add('not an origin')).rejects.toBeInstanceOf(AllowlistError);
    expect(store.text()).toBe('https://a.example.com\n');
    await store.close();
  });

  it('applies concurrent adds one after the other, so none is lost', async () => {
    const store = await createAllowlistStore();
    const origins = Array.from({ length: 20 }, (_, i) => `https://t${i}.example.com`);
    await Promise.all(origins.map((o) => store.add(o)));
    expect([...store.current.policy.config().origins].sort()).toEqual([...origins].sort());
    expect(store.current.version).toBe(21);
    await store.close();
  });

  it('refuses every cross-origin request while the list is empty, and a write after close', async () => {
    const store = await createAllowlistStore();
    const handler = nodeCors({ allowlist: store });
    await handler.ready;
    running = await listen(
      createServer((req, res) => {
        if (!handler(req, res)) res.end('ok');
      }),
    );
    expect(await acao(running.url, 'https://a.example.com')).toEqual([]);
    expect(store.status()).toMatchObject({ kind: 'store', ready: true, mode: 'push' });
    await store.close();
    await expect(store.add('https://a.example.com')).rejects.toMatchObject({ code: 'CG_ALLOWLIST_CLOSED' });
  });
});
