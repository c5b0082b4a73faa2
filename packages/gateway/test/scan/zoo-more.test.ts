/**
 * `corsgate scan` against the zoo's second wing (issue 24): each real server has one fault and
 * must be reported with that class, its severity and its evidence (the probe and the response
 * lines), and the correct servers with nothing. Servers and scans run concurrently.
 */

import { parse } from 'tldts';
import { describe, expect, it } from 'vitest';
import type { FindingId, Severity } from '../../src/scan/findings.js';
import { SHARED_HOSTS } from '../../src/scan/origin-variants.js';
import { renderScan } from '../../src/scan/report.js';
import { runScan, type ScanReport } from '../../src/scan/run.js';
import { APP, cors, expressApp, type ZooServer } from './_zoo.js';
import { CORSGATE_ADAPTERS, correctServer, FAULTS } from './_zoo-more.js';

async function scanOf(server: Promise<ZooServer>, at = (url: string) => url): Promise<ScanReport> {
  const s = await server;
  try {
    const report = await runScan({ url: at(s.url), trusted: [APP], timeoutMs: 5000 });
    expect(report.error).toBeUndefined();
    return report;
  } finally {
    await s.close();
  }
}

const ids = (r: ScanReport) => r.findings.map((f) => `${f.severity} ${f.id}`);
const one = (severity: Severity, id: FindingId) => [`${severity} ${id}`];

/** The finding's evidence: the probe it sent and the answer's lines, in the report as printed. */
function evidence(r: ScanReport, id: FindingId): { request: string[]; response: string[]; text: string } {
  const f = r.findings.find((x) => x.id === id);
  expect(f, `${id} in ${ids(r).join(', ')}`).toBeDefined();
  expect(f!.probe.response).toBeDefined();
  const text = renderScan(r, 'medium', false);
  expect(text).toContain(`probe:  ${f!.probe.request.method} ${f!.probe.request.url}`);
  expect(text).toContain(`          < ${f!.probe.response!.status}\n`);
  const request = f!.probe.request.headers.map(([n, v]) => `${n}: ${v}`);
  const response = f!.probe.response!.headers.map(([n, v]) => `${n}: ${v}`);
  // The printed report shows every line a test below points at (CORS, Vary, auth, Allow, Upgrade).
  const shown = (l: string) =>
    !/^(host|accept|connection|content-|date|keep-alive|x-powered-by|etag|transfer-)/i.test(l);
  for (const l of request.filter(shown)) expect(text).toContain(`> ${l}`);
  for (const l of response.filter(shown)) expect(text).toContain(`< ${l}`);
  return { request, response: [`${f!.probe.response!.status}`, ...response], text };
}

describe.concurrent('scan names each new class on a server with only that fault, with its evidence', () => {
  it('reports an auth layer answering the preflight 401 as preflight-auth', async () => {
    const r = await scanOf(FAULTS.preflightAuth());
    expect(ids(r)).toEqual(one('low', 'preflight-auth'));
    const e = evidence(r, 'preflight-auth');
    expect(e.request).toContain('Access-Control-Request-Method: PUT');
    expect(e.response).toEqual(expect.arrayContaining(['401', 'WWW-Authenticate: Bearer']));
  });

  it('reports a router answering OPTIONS 405 as preflight-status', async () => {
    const r = await scanOf(FAULTS.preflight405());
    expect(ids(r)).toEqual(one('low', 'preflight-status'));
    expect(evidence(r, 'preflight-status').response).toContain('405');
  });

  it('reports an OPTIONS passed on to an upstream that knows no CORS as preflight-forwarded', async () => {
    const r = await scanOf(FAULTS.preflightForwarded());
    expect(ids(r)).toEqual(one('low', 'preflight-forwarded'));
    expect(r.findings[0]?.message).toMatch(/went past the CORS handler/);
    expect(evidence(r, 'preflight-forwarded').response).toContain('Allow: GET, PUT, OPTIONS');
  });

  it('reports a proxy and the app both adding Access-Control-Allow-Origin as acao-duplicate', async () => {
    const r = await scanOf(FAULTS.duplicateOrigin());
    expect(ids(r)).toEqual(one('low', 'acao-duplicate'));
    const lines = evidence(r, 'acao-duplicate').response.filter((l) =>
      l.startsWith('Access-Control-Allow-Origin'),
    );
    expect(lines).toEqual([`Access-Control-Allow-Origin: ${APP}`, `Access-Control-Allow-Origin: ${APP}`]);
  });

  it("reports the cors README's callback(new Error()) refusal answered 500 as refusal-5xx", async () => {
    const r = await scanOf(FAULTS.refusalError());
    expect(ids(r)).toEqual(one('low', 'refusal-5xx'));
    expect(evidence(r, 'refusal-5xx').response).toContain('500');
  });

  it('reports a 401 for a bad token without CORS headers as errors-without-cors (a 401, not only a 404)', async () => {
    const r = await scanOf(FAULTS.authErrorWithoutCors());
    expect(ids(r)).toEqual(one('low', 'errors-without-cors'));
    const e = evidence(r, 'errors-without-cors');
    expect(e.request).toContain('Authorization: Bearer corsgate-scan-invalid-token');
    expect(e.response).toContain('401');
  });

  it('warns that * in Access-Control-Allow-Headers stands for Authorization only by engine leniency (wildcard-authorization)', async () => {
    const r = await scanOf(FAULTS.wildcardAuthorization());
    expect(ids(r)).toEqual(one('low', 'wildcard-authorization'));
    expect(r.findings[0]?.message).toMatch(/Chromium, Firefox, WebKit \(Safari\) let \* cover Authorization/);
    expect(evidence(r, 'wildcard-authorization').response).toContain('Access-Control-Allow-Headers: *');
  });

  it('reports preflight lists built from the request without Vary naming it as preflight-vary-missing', async () => {
    const r = await scanOf(FAULTS.preflightVaryMissing());
    expect(ids(r)).toEqual(one('low', 'preflight-vary-missing'));
    expect(evidence(r, 'preflight-vary-missing').response).toContain('Vary: Origin');
  });

  it('reports Max-Age 86400 as max-age-over-cap, naming Chromium and WebKit and not Firefox', async () => {
    const r = await scanOf(FAULTS.maxAgeOverCap());
    expect(ids(r)).toEqual(one('low', 'max-age-over-cap'));
    expect(r.findings[0]?.message).toBe(
      'Access-Control-Max-Age: 86400 is above the cap of Chromium, WebKit (Safari): Chromium keeps it 7200 s, WebKit (Safari) keeps it 600 s; Firefox honours it',
    );
    expect(evidence(r, 'max-age-over-cap').response).toContain('Access-Control-Max-Age: 86400');
  });

  it('reports CORS on the preflight only as preflight-actual-mismatch', async () => {
    const r = await scanOf(FAULTS.preflightOnly());
    expect(ids(r)).toEqual(one('low', 'preflight-actual-mismatch'));
    const e = evidence(r, 'preflight-actual-mismatch');
    expect(e.response[0]).toBe('200');
    expect(e.response.some((l) => l.startsWith('Access-Control-'))).toBe(false);
  });

  it('reports an echo of a hundred requested headers as acrh-unbounded, and an echo with a cap as any-header only', async () => {
    const [unbounded, bounded] = await Promise.all([
      // The cors package with a fixed origin list but no allowedHeaders echoes whatever is asked.
      scanOf(expressApp(cors({ origin: [APP], credentials: true, methods: ['GET', 'PUT'] }))),
      scanOf(FAULTS.boundedEcho()),
    ]);
    expect(ids(unbounded)).toEqual(['low preflight-any-header', 'low acrh-unbounded']);
    expect(evidence(unbounded, 'acrh-unbounded').request.join('\n')).toMatch(/x-corsgate-scan-99/);
    expect(ids(bounded)).toEqual(one('low', 'preflight-any-header'));
  });

  it('reports a handler reading one line of Access-Control-Request-Headers as acrh-multiline-refused', async () => {
    const r = await scanOf(FAULTS.lastLineOnly());
    expect(ids(r)).toEqual(one('low', 'acrh-multiline-refused'));
    const e = evidence(r, 'acrh-multiline-refused');
    expect(e.request.filter((l) => l.startsWith('Access-Control-Request-Headers'))).toEqual([
      'Access-Control-Request-Headers: authorization',
      'Access-Control-Request-Headers: content-type',
    ]);
  });

  it('reports every .com site allowed as high public-suffix-wildcard (the suffix look-alike follows from it)', async () => {
    const r = await scanOf(FAULTS.publicSuffixWildcard());
    expect(ids(r)).toEqual(one('high', 'public-suffix-wildcard'));
    expect(evidence(r, 'public-suffix-wildcard').request).toContain('Origin: https://corsgate-scan.com');
    expect(r.notes).toContain(
      'suffix-match follows from public-suffix-wildcard and is not reported apart: fixing public-suffix-wildcard fixes it',
    );
  });

  it('reports every github.io site allowed as high shared-hosting-trusted, even when --origin declares it', async () => {
    const declared = await FAULTS.sharedHosting();
    try {
      const d = await runScan({ url: declared.url, trusted: [APP, 'https://*.github.io'] });
      expect(ids(d)).toEqual(one('high', 'shared-hosting-trusted'));
      expect(d.findings[0]?.message).toMatch(
        /^--origin https:\/\/\*\.github\.io declares every site under github\.io/,
      );
    } finally {
      await declared.close();
    }
    const r = await scanOf(FAULTS.sharedHosting());
    expect(ids(r)).toEqual(one('high', 'shared-hosting-trusted'));
    expect(evidence(r, 'shared-hosting-trusted').response).toContain(
      'Access-Control-Allow-Origin: https://corsgate-scan.github.io',
    );
  });

  it('reports Access-Control-Allow-Private-Network granted with * as medium private-network-any-origin', async () => {
    const r = await scanOf(FAULTS.privateNetworkAnyOrigin());
    expect(ids(r)).toEqual(one('medium', 'private-network-any-origin'));
    const e = evidence(r, 'private-network-any-origin');
    expect(e.request).toContain('Access-Control-Request-Private-Network: true');
    expect(e.response).toContain('Access-Control-Allow-Private-Network: true');
  });

  it('reports a check on the parsed, normalised URL as origin-not-normalised', async () => {
    const r = await scanOf(FAULTS.normalisingCheck());
    expect(ids(r)).toEqual(one('low', 'origin-not-normalised'));
    expect(evidence(r, 'origin-not-normalised').request).toContain('Origin: https://APP.EXAMPLE.COM');
  });

  it('reports a host regex stopping at $ + & as high host-characters (the special characters follow from it)', async () => {
    const r = await scanOf(FAULTS.hostRegex());
    expect(ids(r)).toEqual(one('high', 'host-characters'));
    expect(evidence(r, 'host-characters').response).toContain(
      'Access-Control-Allow-Origin: https://app.example.com$.attacker.example',
    );
  });

  it('reports a WebSocket server taking any Origin as high websocket-any-origin, scanned by its ws:// URL', async () => {
    const r = await scanOf(FAULTS.websocketAnyOrigin(), (url) => url.replace('http:', 'ws:'));
    expect(r.url).toMatch(/^http:/);
    expect(ids(r)).toEqual(one('high', 'websocket-any-origin'));
    const e = evidence(r, 'websocket-any-origin');
    expect(e.request).toEqual(
      expect.arrayContaining(['Upgrade: websocket', 'Origin: https://corsgate-scan.attacker.example']),
    );
    expect(e.response[0]).toBe('101');
  });
});

describe.concurrent('scan finds nothing in correct servers (hand-written, corsgate adapters)', () => {
  it('finds nothing where errors keep CORS headers, preflights are answered and sockets check Origin', async () => {
    const r = await scanOf(correctServer());
    expect(ids(r)).toEqual([]);
    expect(r.notes).toEqual([]);
  });

  it.each(Object.keys(CORSGATE_ADAPTERS) as (keyof typeof CORSGATE_ADAPTERS)[])(
    "finds nothing in corsgate's %s adapter with a strict config",
    async (name) => {
      const r = await scanOf(CORSGATE_ADAPTERS[name]());
      expect(ids(r)).toEqual([]);
      expect(r.notes).toEqual([]);
    },
  );

  it('the shared hosts it probes are all in the Public Suffix List private section', () => {
    for (const host of SHARED_HOSTS)
      expect(parse(`corsgate-scan.${host}`, { allowPrivateDomains: true }).isPrivate, host).toBe(true);
  });
});
