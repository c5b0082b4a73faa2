/**
 * `corsgate scan` against the zoo: real servers on loopback, each wrong in one known way, must be
 * reported with that class and severity and nothing else; correct servers (corsgate's gateway and
 * adapters with strict configs, the `cors` package with a fixed list) must give no finding. Servers
 * and scans run concurrently.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FindingId, Severity } from '../../src/scan/findings.js';
import { runScan, type ScanOptions } from '../../src/scan/run.js';
import { startGateway, startUpstream, tempDir } from '../helpers.js';
import {
  APP,
  CHECKS,
  cors,
  corsgateExpress,
  corsgateNodeServer,
  expressApp,
  handwritten,
  httpsHandwritten,
  nginxWithoutVary,
  type ZooServer,
} from './_zoo.js';

const started: ZooServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});
async function zoo<T extends ZooServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  started.push(s);
  return s;
}

/** The findings as `severity id`, most severe first. */
async function scan(url: string, options: Partial<ScanOptions> = {}): Promise<string[]> {
  const report = await runScan({ url, trusted: [APP], ...options });
  expect(report.error).toBeUndefined();
  // The trusted origin was allowed, so every check ran: an empty list is a verdict, not a skip.
  expect(report.notes.filter((n) => /not allowed|skipped/.test(n))).toEqual([]);
  return report.findings.map((f) => `${f.severity} ${f.id}`);
}
const finding = (severity: Severity, id: FindingId) => `${severity} ${id}`;

describe.concurrent('scan finds each known misconfiguration in a real server, with its class and severity', () => {
  it('reports the cors package reflecting any origin with credentials as critical origin-reflected', async () => {
    const s = await zoo(expressApp(cors({ origin: true, credentials: true })));
    // The cors package also echoes any requested header by default (allowedHeaders unset), however many.
    expect(await scan(s.url)).toEqual([
      finding('critical', 'origin-reflected'),
      finding('low', 'preflight-any-header'),
      finding('low', 'acrh-unbounded'),
    ]);
  });

  it('reports a reflection without credentials as low origin-reflected', async () => {
    const s = await zoo(expressApp(cors({ origin: true, allowedHeaders: ['Content-Type'] })));
    expect(await scan(s.url)).toEqual([finding('low', 'origin-reflected')]);
  });

  it('reports a regular expression with unescaped dots as high unescaped-dot', async () => {
    const s = await zoo(
      expressApp(
        cors({
          origin: /^https:\/\/app.example.com$/,
          credentials: true,
          allowedHeaders: ['Content-Type'],
        }),
      ),
    );
    expect(await scan(s.url)).toEqual([finding('high', 'unescaped-dot')]);
  });

  it('reports null in the allowed list as high null-trusted', async () => {
    const s = await zoo(
      expressApp(cors({ origin: [APP, 'null'], credentials: true, allowedHeaders: ['Content-Type'] })),
    );
    expect(await scan(s.url)).toEqual([finding('high', 'null-trusted')]);
  });

  it('reports a Go-style prefix match as high prefix-match (the special characters follow from it)', async () => {
    const s = await zoo(handwritten(CHECKS.prefix));
    const report = await runScan({ url: s.url, trusted: [APP] });
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([finding('high', 'prefix-match')]);
    expect(report.findings[0]?.probe.request.headers).toContainEqual([
      'Origin',
      'https://app.example.com.attacker.example',
    ]);
    expect(report.notes).toContain(
      'special-characters follows from prefix-match and is not reported apart: fixing prefix-match fixes it',
    );
  });

  it('reports an endsWith check without the dot as high suffix-match', async () => {
    const s = await zoo(handwritten(CHECKS.suffix));
    expect(await scan(s.url)).toEqual([finding('high', 'suffix-match')]);
  });

  it('reports an includes check as high substring-match', async () => {
    const s = await zoo(handwritten(CHECKS.substring));
    expect(await scan(s.url)).toEqual([finding('high', 'substring-match')]);
  });

  it('reports a host parsed with the legacy url.parse as high special-characters', async () => {
    const s = await zoo(handwritten(CHECKS.legacyUrlParse));
    const report = await runScan({ url: s.url, trusted: [APP] });
    // url.parse also lowercases the host, so https://APP.EXAMPLE.COM passes the same check.
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([
      finding('high', 'special-characters'),
      finding('low', 'origin-not-normalised'),
    ]);
    expect(report.findings[0]?.message).toBe(
      'the server allowed Origin https://app.example.com`.attacker.example (built from the trusted https://app.example.com) with credentials',
    );
  });

  it('reports trusting every subdomain as medium subdomain-trusted, and nothing once that is declared', async () => {
    const s = await zoo(handwritten(CHECKS.subdomains));
    expect(await scan(s.url)).toEqual([finding('medium', 'subdomain-trusted')]);
    expect(await scan(s.url, { trusted: [APP, 'https://*.example.com'] })).toEqual([]);
  });

  it('reports an https API trusting the http:// twin as medium insecure-origin-trusted', async () => {
    const s = await zoo(httpsHandwritten(CHECKS.httpToo));
    const { readFileSync } = await import('node:fs');
    expect(await scan(s.url, { connect: { ca: readFileSync(s.ca, 'utf8') } })).toEqual([
      finding('medium', 'insecure-origin-trusted'),
    ]);
  });

  it('reports * together with credentials as low wildcard-with-credentials', async () => {
    const s = await zoo(
      expressApp((_req, res, next) => {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Access-Control-Allow-Credentials', 'true');
        next();
      }),
    );
    expect(await scan(s.url)).toEqual([finding('low', 'wildcard-with-credentials')]);
  });

  it('reports a preflight echoing any method and header as low preflight-any-method and -header', async () => {
    const s = await zoo(
      handwritten(CHECKS.exact, {
        preflight: (req, res) => {
          res.setHeader('Access-Control-Allow-Methods', req.headers['access-control-request-method'] ?? '');
          res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '');
          res.setHeader('Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
        },
      }),
    );
    // An echo without a bound is also acrh-unbounded (the cors package's default too).
    expect(await scan(s.url)).toEqual([
      finding('low', 'preflight-any-method'),
      finding('low', 'preflight-any-header'),
      finding('low', 'acrh-unbounded'),
    ]);
  });

  it('reports real nginx with an if on $http_origin and no Vary as low vary-missing', async () => {
    const s = await zoo(nginxWithoutVary());
    const report = await runScan({ url: s.url, trusted: [APP] });
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([finding('low', 'vary-missing')]);
    expect(report.findings[0]?.probe.response?.headers).toContainEqual(['Access-Control-Allow-Origin', APP]);
  });

  it('reports CORS only on the route, not on the 404, as low errors-without-cors', async () => {
    const s = await zoo(
      expressApp(cors({ origin: [APP], credentials: true, allowedHeaders: ['Content-Type'] }), 'route'),
    );
    const report = await runScan({ url: s.url, trusted: [APP] });
    expect(report.findings.map((f) => `${f.severity} ${f.id}`)).toEqual([
      finding('low', 'errors-without-cors'),
    ]);
    expect(report.findings[0]?.probe.response?.status).toBe(404);
  });

  it('reports an internal host allowing a public origin with credentials as medium private-network-credentials', async () => {
    const s = await zoo(handwritten(CHECKS.exact));
    const internal = s.url.replace('127.0.0.1', 'api.internal');
    expect(await scan(internal, { connect: { address: '127.0.0.1' } })).toEqual([
      finding('medium', 'private-network-credentials'),
    ]);
  });
});

describe.concurrent('scan gives correct servers no finding (no false positives)', () => {
  it('finds nothing in the cors package with a fixed list', async () => {
    const s = await zoo(
      expressApp(
        cors({ origin: [APP], credentials: true, methods: ['GET', 'PUT'], allowedHeaders: ['Content-Type'] }),
      ),
    );
    expect(await scan(s.url)).toEqual([]);
  });

  it("finds nothing in corsgate's Express adapter with a strict config", async () => {
    const s = await zoo(
      expressApp(
        corsgateExpress({
          origins: [APP],
          credentials: true,
          methods: ['PUT'],
          requestHeaders: ['Content-Type'],
        }),
      ),
    );
    expect(await scan(s.url)).toEqual([]);
  });

  it("finds nothing in corsgate's node:http adapter with a strict config", async () => {
    const s = await zoo(corsgateNodeServer());
    expect(await scan(s.url)).toEqual([]);
  });

  it('finds nothing in an exact handwritten check with Vary: Origin', async () => {
    const s = await zoo(handwritten(CHECKS.exact));
    expect(await scan(s.url)).toEqual([]);
  });

  it("finds nothing in corsgate's gateway with the allowlist and credentials", async () => {
    const dir = tempDir();
    const upstream = await startUpstream();
    const gateway = await startGateway(
      [
        '--upstream',
        upstream.url,
        '--allowlist',
        dir.file('allowed_origins.list', `${APP}\n`),
        '--credentials',
        '--methods',
        'PUT',
      ],
      { admin: false },
    );
    try {
      expect(await scan(`${gateway.url}/echo`)).toEqual([]);
    } finally {
      await gateway.stop();
      await upstream.close();
      dir.remove();
    }
  });
});
