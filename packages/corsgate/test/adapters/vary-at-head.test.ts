/**
 * `Vary: Origin` survives whatever the application does to `Vary` before the head is written, on a
 * real node:http server behind corsgate/node: every way Node takes a header into the head, and the
 * cases where nothing must be added (docs/middleware.md "Vary"). The framework adapters' rows are in
 * the conformance table (test/conformance, `/api/vary-set`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cors } from '../../src/adapters/node/index.js';
import { APP, CONFIG, headerValues, listen, type Running, rawRequest } from './_helpers.js';

/** The application's own header object: written with, never changed by corsgate. */
const APP_HEADERS = Object.freeze({ vary: 'Accept-Encoding' });

const HEADS: Record<string, (res: ServerResponse) => void> = {
  '/set-header': (res) => {
    res.setHeader('Vary', 'Accept-Encoding');
    res.end('ok');
  },
  '/write-head-object': (res) => res.writeHead(200, APP_HEADERS).end('ok'),
  '/write-head-message': (res) => res.writeHead(200, 'Fine', { Vary: ['Accept-Encoding', 'Cookie'] }).end(),
  '/write-head-flat': (res) => res.writeHead(200, ['Vary', 'Accept-Encoding']).end('ok'),
  '/removed': (res) => {
    res.removeHeader('Vary');
    res.write('chunk');
    res.end();
  },
  '/already-origin': (res) => res.writeHead(200, { Vary: 'Accept-Encoding, ORIGIN' }).end(),
  '/star': (res) => {
    res.setHeader('Vary', '*');
    res.end();
  },
};

let running: Running;
beforeAll(async () => {
  const handle = cors(CONFIG);
  running = await listen(
    createServer((req: IncomingMessage, res: ServerResponse) => {
      if (handle(req, res)) return;
      HEADS[req.url ?? '']!(res);
    }),
  );
});
afterAll(() => running.close());

async function vary(path: string): Promise<string[]> {
  const response = await rawRequest(running.url, { method: 'GET', path, headers: [['Origin', APP]] });
  expect(response.status).toBe(200);
  expect(headerValues(response, 'access-control-allow-origin')).toEqual([APP]);
  return headerValues(response, 'vary');
}

describe('Vary: Origin written at the head', () => {
  it.each([
    ['/set-header', 'Accept-Encoding, Origin'],
    ['/write-head-object', 'Accept-Encoding, Origin'],
    ['/write-head-flat', 'Accept-Encoding, Origin'],
    ['/removed', 'Origin'],
  ])('%s: the application’s Vary keeps its tokens and gains Origin', async (path, expected) => {
    expect(await vary(path)).toEqual([expected]);
  });

  it('appends to a Vary given as an array with a status message, as one line', async () => {
    expect(await vary('/write-head-message')).toEqual(['Accept-Encoding, Cookie, Origin']);
  });

  it('does not repeat Origin already named (in any case), nor touch Vary: *', async () => {
    expect(await vary('/already-origin')).toEqual(['Accept-Encoding, ORIGIN']);
    expect(await vary('/star')).toEqual(['*']);
  });

  it('writes a copy of the application’s header object, never the object itself', async () => {
    expect(await vary('/write-head-object')).toEqual(['Accept-Encoding, Origin']);
    expect(APP_HEADERS).toEqual({ vary: 'Accept-Encoding' });
  });
});
