/**
 * What each engine does where engines differ (issue 22, docs/browsers.md): measured against a
 * probe server that answers exactly what a row needs, in the matrix's own browser (one process
 * per engine). Every row of docs/browsers.md's table names one of these tests; where the
 * browser model has a profile field for the behaviour, the test holds the profile to what the
 * engine did.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../../packages/gateway/src/browser-model/response.js';
import type { EngineName, EnginePage } from './_engine.js';
import type { Suite } from './_harness.js';
import { observe } from './_page.js';
import { closeServer, listen } from './_servers.js';

/** What each engine was measured doing (the versions are printed by the run). */
export const MEASURED: Readonly<
  Record<
    EngineName,
    {
      readonly rejectedFetch: string;
      readonly preflightsForFourRequests: number;
      readonly originAfterCrossOriginRedirect: string;
    }
  >
> = {
  chromium: {
    rejectedFetch: 'TypeError: Failed to fetch',
    preflightsForFourRequests: 1,
    originAfterCrossOriginRedirect: 'null',
  },
  firefox: {
    rejectedFetch: 'TypeError: NetworkError when attempting to fetch resource.',
    preflightsForFourRequests: 1,
    originAfterCrossOriginRedirect: 'null',
  },
  webkit: {
    rejectedFetch: 'TypeError: Load failed',
    preflightsForFourRequests: 1,
    originAfterCrossOriginRedirect: 'null',
  },
};

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
}

/**
 * The probe: `/star/*` answers every preflight with `Access-Control-Allow-Headers: *` and
 * `Allow-Methods: *`; `/cached/*` with `Max-Age: 600`; `/redirect-preflight/*` answers the
 * preflight with a 302; `/hop/*` redirects the actual request to the other origin's `/land/*`;
 * `/expose-star/*` credentialed with `Expose-Headers: *` (a literal name there). Every answer
 * echoes the request's Origin, with credentials allowed.
 */
function probe(seen: Seen[], otherPort: () => number) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    const origin = req.headers.origin;
    seen.push({ method: req.method ?? '', path, origin });
    res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('X-Hidden', 'secret');
    if (req.method === 'OPTIONS') {
      if (path.startsWith('/redirect-preflight/')) {
        res.writeHead(302, { Location: '/elsewhere' }).end();
        return;
      }
      res.setHeader('Access-Control-Allow-Methods', path.startsWith('/star/') ? '*' : 'PUT');
      res.setHeader('Access-Control-Allow-Headers', path.startsWith('/star/') ? '*' : 'x-custom');
      if (path.startsWith('/cached/')) res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (path.startsWith('/hop/')) {
      res.writeHead(302, { Location: `http://api.test:${otherPort()}/land/${path.slice(5)}` }).end();
      return;
    }
    if (path.startsWith('/expose-star/')) res.setHeader('Access-Control-Expose-Headers', '*');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };
}

export function defineDifferences(engine: EngineName, getSuite: () => Suite): void {
  describe(`what ${engine} does where engines differ (docs/browsers.md)`, () => {
    const seen: Seen[] = [];
    let a: Server;
    let b: Server;
    let portA = 0;
    let portB = 0;
    let page: EnginePage;
    let closeContext: () => Promise<void>;
    beforeAll(async () => {
      a = createServer(probe(seen, () => portB));
      b = createServer(probe(seen, () => portA));
      [portA, portB] = await Promise.all([listen(a), listen(b)]);
      const context = await getSuite().engine.newContext();
      closeContext = () => context.close();
      page = await context.open(`http://app.test:${getSuite().ports.http1}/`);
    });
    afterAll(async () => {
      await closeContext?.();
      if (a !== undefined) await closeServer(a);
      if (b !== undefined) await closeServer(b);
    });
    const api = (path: string): string => `http://api.app.test:${portA}${path}`;
    const count = (prefix: string, method: string): number =>
      seen.filter((s) => s.path.startsWith(prefix) && s.method === method).length;

    it('Access-Control-Allow-Headers: * covers Authorization, as the profile says', async () => {
      const o = await observe(page, { url: api('/star/auth'), headers: { authorization: 'Bearer t' } });
      const covered = o.outcome === 'resolved';
      expect(covered, JSON.stringify(o)).toBe(
        PROFILES[getSuite().engine.model].authorizationCoveredByWildcard,
      );
    });

    it('gives a refused fetch its own error text', async () => {
      const o = await observe(page, { url: api('/plain/refused'), headers: { 'x-other': '1' } });
      expect(o.outcome).toBe('rejected');
      expect(o.error).toBe(MEASURED[engine].rejectedFetch);
    });

    it('sends one preflight for four same requests within Max-Age, or as measured', async () => {
      for (let i = 0; i < 4; i++) {
        const o = await observe(page, {
          url: api('/cached/four'),
          method: 'PUT',
          headers: { 'x-custom': '1' },
        });
        expect(o.outcome, JSON.stringify(o)).toBe('resolved');
      }
      expect(count('/cached/four', 'OPTIONS')).toBe(MEASURED[engine].preflightsForFourRequests);
    });

    it('never follows a redirect answering a preflight: the request fails and is not sent', async () => {
      const o = await observe(page, { url: api('/redirect-preflight/x'), method: 'PUT' });
      expect(o.outcome).toBe('rejected');
      expect(count('/redirect-preflight/x', 'PUT')).toBe(0);
      expect(count('/elsewhere', 'OPTIONS') + count('/elsewhere', 'PUT')).toBe(0);
    });

    it('follows a CORS redirect to another origin and sends Origin: null there', async () => {
      const o = await observe(page, { url: api('/hop/one') });
      expect(o.outcome, JSON.stringify(o)).toBe('resolved');
      const landed = seen.find((s) => s.path === '/land/one');
      expect(landed?.origin).toBe(MEASURED[engine].originAfterCrossOriginRedirect);
    });

    it('reads no unlisted header with Expose-Headers: * on a credentialed response (* is a name there)', async () => {
      const o = await observe(page, { url: api('/expose-star/creds'), credentials: 'include' });
      expect(o.outcome).toBe('resolved');
      expect(o.headers['x-hidden']).toBeUndefined();
    });
  });
}
