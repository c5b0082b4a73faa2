/**
 * The one request-facts function every adapter and the gateway call (src/request/facts.ts), and
 * its two readers: node:http's `IncomingMessage` and the Fetch API's `Request`, each read from a
 * real server on loopback, must give the same facts, so the same decision and reason.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestFacts } from '../../src/engine/decision.js';
import { createPolicy } from '../../src/engine/policy.js';
import { type HeaderView, requestFacts } from '../../src/request/facts.js';
import { fetchFacts } from '../../src/request/fetch.js';
import { nodeFacts } from '../../src/request/node.js';
import { APP, listen, type Running, rawRequest, serveFetch } from '../adapters/_helpers.js';

/** A header view over a plain record that remembers every name it was asked for. */
function recordingReader(headers: Record<string, string>) {
  const asked: string[] = [];
  const view = new Proxy(headers, {
    get(target, name: string) {
      asked.push(name);
      return target[name];
    },
  }) as HeaderView;
  return { asked, facts: (method: string) => requestFacts(method, 'http', view) };
}

describe('requestFacts', () => {
  it('reads nothing but Origin from a request without Origin (not a CORS request)', () => {
    const reader = recordingReader({ host: 'api.test', 'access-control-request-method': 'PUT' });
    expect(reader.facts('OPTIONS')).toEqual({ method: 'OPTIONS', scheme: 'http' });
    expect(reader.asked).toEqual(['origin']);
  });

  it('reads the preflight headers for OPTIONS only', () => {
    const headers = {
      origin: APP,
      host: 'api.test',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
      'access-control-request-private-network': 'true',
      'sec-fetch-site': 'cross-site',
    };
    expect(recordingReader(headers).facts('OPTIONS')).toEqual({
      method: 'OPTIONS',
      origin: APP,
      accessControlRequestMethod: 'PUT',
      accessControlRequestHeaders: 'content-type',
      accessControlRequestPrivateNetwork: 'true',
      host: 'api.test',
      scheme: 'http',
      secFetchSite: 'cross-site',
    });
    const get = recordingReader(headers);
    expect(get.facts('GET').accessControlRequestMethod).toBeUndefined();
    expect(get.asked).not.toContain('access-control-request-method');
  });

  it('gives a joined Origin value as its separate origins, which the engine refuses as origin-multiple', () => {
    const facts = recordingReader({ origin: `${APP}, https://admin.example.com` }).facts('GET');
    expect(facts.origin).toEqual([APP, 'https://admin.example.com']);
    const policy = createPolicy({ origins: [APP, 'https://admin.example.com'] });
    expect(policy.evaluate(facts).reason).toBe('origin-multiple');
  });
});

describe('node:http and Fetch API requests give the same facts', () => {
  const seen: { node: RequestFacts[]; fetch: RequestFacts[] } = { node: [], fetch: [] };
  let node: Running;
  let fetchServer: Running;
  beforeAll(async () => {
    node = await listen(
      createServer((req, res) => {
        seen.node.push(nodeFacts(req));
        res.end();
      }),
    );
    fetchServer = await serveFetch((request) => {
      seen.fetch.push(fetchFacts(request));
      return new Response(null);
    });
  });
  afterAll(async () => {
    await node.close();
    await fetchServer.close();
  });

  const requests: [string, string, [string, string][]][] = [
    [
      'two Origin lines',
      'GET',
      [
        ['Origin', APP],
        ['Origin', 'https://admin.example.com'],
      ],
    ],
    ['one Origin line holding two origins', 'POST', [['Origin', `${APP}, https://admin.example.com`]]],
    [
      'a preflight with Access-Control-Request-Headers split over two lines',
      'OPTIONS',
      [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type'],
        ['Access-Control-Request-Headers', 'authorization'],
        ['Sec-Fetch-Site', 'cross-site'],
      ],
    ],
    ['a request without Origin', 'GET', [['Access-Control-Request-Method', 'PUT']]],
  ];

  it.each(requests)('%s', async (_name, method, headers) => {
    seen.node.length = 0;
    seen.fetch.length = 0;
    const lines: [string, string][] = [['Host', 'api.test'], ...headers];
    await rawRequest(node.url, { method, path: '/', headers: lines });
    await rawRequest(fetchServer.url, { method, path: '/', headers: lines });
    expect(seen.node).toHaveLength(1);
    expect(seen.fetch).toEqual(seen.node);
  });
});
