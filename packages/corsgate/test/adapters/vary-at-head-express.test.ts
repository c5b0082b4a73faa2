/**
 * Express keeps `Vary: Origin` through its response prototype, not a property on each response
 * (request/node.ts `keepVaryThroughPrototype`: adding a property to an Express response costs a new
 * hidden class each time). These tests try to lose the token the ways that route could: sub-apps that
 * re-parent the response, two corsgate middlewares on one response, an agent that instruments
 * `ServerResponse.prototype` afterwards, a second head write, and responses corsgate never saw
 * (docs/middleware.md "Vary"). Real Express 5 and 4 on loopback.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import express, { type Request, type Response } from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/express/index.js';
import { APP, CONFIG, headerValues, listen, type Running, rawRequest } from './_helpers.js';

const OTHER = 'https://other.example.com';
const MAJORS = [
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
] as const;

async function get(running: Running, path: string, origin = APP) {
  return rawRequest(running.url, { method: 'GET', path, headers: [['Origin', origin]] });
}

describe.each(MAJORS)(
  '%s: Vary: Origin kept at the head without a property on the response',
  (_name, make) => {
    let running: Running;
    let seen: ServerResponse[] = [];
    const headErrors: string[] = [];
    beforeAll(async () => {
      const app = make();
      // Before corsgate: a response corsgate never sees passes through untouched.
      app.get('/before', (_req: Request, res: Response) => {
        res.set('Vary', 'Accept-Encoding').send('ok');
      });
      app.use(cors(CONFIG));
      app.use((_req: Request, res: Response, next: () => void) => {
        seen.push(res);
        next();
      });
      app.get('/set', (_req: Request, res: Response) => {
        res.set('Vary', 'Accept-Encoding').send('ok');
      });
      app.get('/write-head-object', (_req: Request, res: Response) => {
        res.writeHead(200, { Vary: 'Cookie' }).end('ok');
      });
      app.get('/write-head-message', (_req: Request, res: Response) => {
        res.writeHead(200, 'Fine', ['Vary', 'Accept-Encoding']).end();
      });
      app.get('/slow', (_req: Request, res: Response) => {
        setTimeout(() => res.set('Vary', 'Accept-Language').send('slow'), 50);
      });
      app.get('/twice', (_req: Request, res: Response) => {
        res.set('Vary', 'Cookie');
        res.writeHead(200);
        try {
          res.writeHead(200);
        } catch (error) {
          headErrors.push((error as { code?: string }).code ?? 'no code');
        }
        res.end('ok');
      });
      // A sub-app re-parents the response to its own prototype while it runs, and back after.
      const sub = make();
      sub.get('/inside', (_req: Request, res: Response) => {
        res.set('Vary', 'Accept-Language').send('ok');
      });
      sub.use((_req: Request, _res: Response, next: () => void) => next());
      app.use('/sub', sub);
      app.get('/sub/fell-through', (_req: Request, res: Response) => {
        res.set('Vary', 'Accept-Language').send('ok');
      });
      // A router with a policy of its own, under the app-wide one: both middlewares see the response.
      const router = make.Router();
      router.use(cors({ ...CONFIG, origins: [APP, OTHER] }));
      router.get('/both', (_req: Request, res: Response) => {
        res.set('Vary', 'Accept-Encoding').send('ok');
      });
      app.use('/router', router);
      running = await listen(createServer(app));
    });
    afterAll(() => running.close());

    it.each([
      ['/set', 'Accept-Encoding, Origin'],
      ['/write-head-object', 'Cookie, Origin'],
      ['/write-head-message', 'Accept-Encoding, Origin'],
      ['/sub/inside', 'Accept-Language, Origin'],
      ['/sub/fell-through', 'Accept-Language, Origin'],
      ['/router/both', 'Accept-Encoding, Origin'],
    ])('%s: the application’s Vary keeps its tokens and gains Origin, once', async (path, expected) => {
      const response = await get(running, path);
      expect(response.status).toBe(200);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
      expect(headerValues(response, 'vary')).toEqual([expected]);
    });

    it('pipelined requests on one connection each keep Origin, the slow first one included', async () => {
      const { port } = new URL(running.url);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${APP}\r\n\r\n`;
      socket.write(request('/slow') + request('/set') + request('/write-head-object'));
      let text = '';
      socket.setEncoding('latin1');
      for await (const chunk of socket) {
        text += chunk;
        if (text.split('HTTP/1.1 200').length === 4 && text.endsWith('ok')) break;
      }
      socket.destroy();
      const varies = [...text.matchAll(/^vary: (.*)$/gim)].map((m) => m[1]!.trim());
      expect(varies).toEqual(['Accept-Language, Origin', 'Accept-Encoding, Origin', 'Cookie, Origin']);
    });

    it('a refused origin’s response still gains Origin, with no CORS header', async () => {
      const response = await get(running, '/set', 'https://evil.example.org');
      expect(response.status).toBe(200);
      expect(headerValues(response, 'access-control-allow-origin')).toEqual([]);
      expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
    });

    it('a response corsgate never saw gets no Vary token from it', async () => {
      const response = await get(running, '/before');
      expect(response.status).toBe(200);
      expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding']);
    });

    it('a second head write fails as node’s own does, and the first head kept Origin', async () => {
      headErrors.length = 0;
      const response = await get(running, '/twice');
      expect(response.status).toBe(200);
      expect(headerValues(response, 'vary')).toEqual(['Cookie, Origin']);
      expect(headErrors).toEqual(['ERR_HTTP_HEADERS_SENT']);
    });

    it('corsgate adds no property to the response objects it handles', async () => {
      seen = [];
      await get(running, '/set');
      expect(seen).toHaveLength(1);
      expect(Object.hasOwn(seen[0]!, 'writeHead')).toBe(false);
      expect(Object.getOwnPropertySymbols(seen[0]!).map(String)).not.toContain(
        'Symbol(corsgate.keepsVaryAtHead)',
      );
    });
  },
);

describe.each(MAJORS)('%s: corsgate only inside a sub-app', (_name, make) => {
  let running: Running;
  beforeAll(async () => {
    // The parent has no corsgate of its own; the response leaves the sub-app (and its prototype)
    // before the parent answers it.
    const app = make();
    const sub = make();
    sub.use(cors(CONFIG));
    app.use('/sub', sub);
    app.get('/sub/answered-by-parent', (_req: Request, res: Response) => {
      res.set('Vary', 'Accept-Language').send('ok');
    });
    running = await listen(createServer(app));
  });
  afterAll(() => running.close());

  it('a response the parent answers after the sub-app still gains Origin', async () => {
    const response = await get(running, '/sub/answered-by-parent');
    expect(response.status).toBe(200);
    expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
    expect(headerValues(response, 'vary')).toEqual(['Accept-Language, Origin']);
  });
});

describe('Express responses and an agent that instruments node’s head write', () => {
  let running: Running;
  let plain: Running;
  const heads: string[] = [];
  const original = ServerResponse.prototype.writeHead;
  beforeAll(async () => {
    const app = express();
    app.use(cors(CONFIG));
    app.get('/set', (_req: Request, res: Response) => {
      res.set('Vary', 'Accept-Encoding').send('ok');
    });
    running = await listen(createServer(app));
    await get(running, '/set'); // corsgate's writeHead is now on Express's response prototype
    // An APM agent wrapping node's head write after corsgate did: it must still see Express's heads.
    ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      heads.push(`${(this.req as IncomingMessage).url} ${String(this.getHeader('vary'))}`);
      return Reflect.apply(original, this, args);
    } as typeof original;
    plain = await listen(
      createServer((_req, res) => {
        res.setHeader('Vary', 'Accept-Encoding');
        res.end('ok');
      }),
    );
  });
  afterAll(async () => {
    ServerResponse.prototype.writeHead = original;
    await running.close();
    await plain.close();
  });

  it('the agent sees the head, with Origin already kept, and the client gets it', async () => {
    const response = await get(running, '/set');
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding, Origin']);
    expect(heads).toEqual(['/set Accept-Encoding, Origin']);
  });

  it('a plain node server in the same process is left alone', async () => {
    heads.length = 0;
    const response = await get(plain, '/');
    expect(headerValues(response, 'vary')).toEqual(['Accept-Encoding']);
    expect(heads).toEqual(['/ Accept-Encoding']);
  });
});
