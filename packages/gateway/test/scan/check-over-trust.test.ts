/**
 * `corsgate check` runs the scan's reflection and null probes when a request is allowed with
 * credentials, and warns when the server also trusts origins it should not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequest } from '../../src/check/check-request.js';
import { main } from '../../src/cli/main.js';
import { capture, engineServer, serve, type TestServer } from '../tools/_helpers.js';
import { APP, cors, expressApp, type ZooServer } from './_zoo.js';

async function check(args: string[]) {
  const c = capture();
  const code = await main(['check', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

let reflecting: ZooServer;
let strict: TestServer;
let nullToo: TestServer;
beforeAll(async () => {
  reflecting = await expressApp(cors({ origin: true, credentials: true }));
  strict = await engineServer({ origins: [APP], credentials: true, methods: ['PUT'] });
  // Allows APP and null with credentials, for every method, preflights included.
  nullToo = await serve((req, res) => {
    const origin = req.headers.origin;
    if (origin === APP || origin === 'null') {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'PUT');
    }
    res.setHeader('Vary', 'Origin');
    res.statusCode = req.method === 'OPTIONS' ? 204 : 200;
    res.end();
  });
});
afterAll(async () => {
  await Promise.all([reflecting.close(), strict.close(), nullToo.close()]);
});

describe('check warns about over-trust when a request is allowed with credentials', () => {
  it('warns that the cors package with origin: true trusts every origin (still exit 0: the browser allows it)', async () => {
    const r = await check([reflecting.url, '--origin', 'https://evil.example', '--credentials']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: allowed');
    expect(r.out).toContain('over-trust (allowed with credentials, so the reflection and null probes ran):');
    expect(r.out).toContain(
      '! critical origin-reflected: the server allowed Origin https://corsgate-scan.attacker.example with credentials; the server trusts origins it should not',
    );
    expect(r.out).toContain('! high null-trusted: the server allowed Origin null with credentials');
  });

  it('says nothing else is trusted for a strict server', async () => {
    const trace = await checkRequest({ url: strict.url, origin: APP, credentials: true });
    expect(trace.verdict).toBe('allowed');
    expect(trace.overTrust).toEqual([]);
    const r = await check([strict.url, '--origin', APP, '--credentials']);
    expect(r.out).toContain('✓ neither an arbitrary origin nor null is allowed');
  });

  it('probes with the preflight, never by re-sending a state-changing method', async () => {
    const before = nullToo.seen.length;
    const trace = await checkRequest({ url: nullToo.url, origin: APP, method: 'PUT', credentials: true });
    expect(trace.verdict).toBe('allowed');
    expect(trace.overTrust?.map((f) => `${f.severity} ${f.id}`)).toEqual(['high null-trusted']);
    expect(trace.overTrust?.[0]?.probe.request.method).toBe('OPTIONS');
    // The preflight, the PUT, then two probe preflights: one PUT only.
    expect(nullToo.seen.slice(before).map((x) => x.method)).toEqual(['OPTIONS', 'PUT', 'OPTIONS', 'OPTIONS']);
  });

  it('sends no probe without credentials, or with --no-probe', async () => {
    const anonymous = await checkRequest({ url: strict.url, origin: APP });
    expect(anonymous.overTrust).toBeUndefined();
    const before = strict.seen.length;
    const r = await check([strict.url, '--origin', APP, '--credentials', '--no-probe', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).overTrust).toBeUndefined();
    expect(strict.seen.length - before).toBe(1);
  });
});
