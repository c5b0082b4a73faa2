/**
 * Chromium's Local Network Access in the browser model and in `check` (docs/failures.md "Not
 * CORS"): a page served from a more public address than the API needs the user's permission, from
 * a secure context only; no response header changes that, so `check` warns and proposes no header.
 * (The real engine's behaviour is recorded in test/browser/explain-har.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressSpace, localNetworkAccess } from '../../src/browser-model/index.js';
import { checkRequest } from '../../src/check/check-request.js';
import { serve, type TestServer } from './_helpers.js';

describe('address spaces', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['localhost', 'loopback'],
    ['api.localhost', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['[fd00::1]', 'private'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['93.184.215.14', 'public'],
    ['api.example.com', 'unknown'],
  ])('reads %s as %s', (host, space) => {
    expect(addressSpace(host)).toBe(space);
  });

  it('reads a name by the address it connected to, when known', () => {
    expect(addressSpace('api.test', '127.0.0.1')).toBe('loopback');
  });
});

describe('Local Network Access', () => {
  it('applies in Chromium only, to a target more private than the page', () => {
    expect(localNetworkAccess('https://app.example', 'public', 'loopback', 'chromium').applies).toBe(true);
    expect(localNetworkAccess('https://app.example', 'public', 'private', 'chromium').applies).toBe(true);
    expect(localNetworkAccess('http://intranet.example', 'private', 'private', 'chromium').applies).toBe(
      false,
    );
    expect(localNetworkAccess('http://localhost:3000', 'loopback', 'loopback', 'chromium').applies).toBe(
      false,
    );
    expect(localNetworkAccess('https://app.example', 'public', 'loopback', 'firefox').applies).toBe(false);
    expect(localNetworkAccess('https://app.example', 'public', 'loopback', 'safari').applies).toBe(false);
  });

  it('says an insecure page cannot even ask, and a secure one needs the user', () => {
    expect(localNetworkAccess('http://app.example', 'public', 'loopback', 'chromium').message).toContain(
      'not a secure context',
    );
    expect(localNetworkAccess('https://app.example', 'public', 'loopback', 'chromium').message).toContain(
      'asks the user',
    );
  });
});

describe('check and Local Network Access', () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await serve((req, res) => {
      res.writeHead(200, { 'Access-Control-Allow-Origin': req.headers.origin ?? '', Vary: 'Origin' });
      res.end('{}');
    });
  });
  afterAll(() => api.close());

  it('warns that no header helps when a public page calls a loopback API, and still runs the CORS steps', async () => {
    const trace = await checkRequest({
      url: api.url,
      origin: 'https://app.example',
      pageAddressSpace: 'public',
    });
    expect(trace.verdict).toBe('allowed');
    const warning = trace.steps.find((s) => s.status === 'warn');
    expect(warning?.message).toContain('Local Network Access');
    expect(warning?.message).toContain('No response header changes that');
    expect(warning?.fix).toContain('https');
  });

  it('reads a public IP-literal origin as public without being told', async () => {
    const trace = await checkRequest({ url: api.url, origin: 'http://93.184.215.14' });
    expect(trace.steps.find((s) => s.status === 'warn')?.message).toContain('not a secure context');
  });

  it('stays silent for a page origin by name (where it is served from is unknown) and for Firefox', async () => {
    const byName = await checkRequest({ url: api.url, origin: 'https://app.example' });
    expect(byName.steps.filter((s) => s.status === 'warn')).toEqual([]);
    const firefox = await checkRequest({
      url: api.url,
      origin: 'https://app.example',
      pageAddressSpace: 'public',
      browser: 'firefox',
    });
    expect(firefox.steps.filter((s) => s.status === 'warn')).toEqual([]);
  });
});
