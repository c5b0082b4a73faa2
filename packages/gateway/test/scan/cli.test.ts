/**
 * `corsgate scan` as a command: the text report, exit codes with --fail-on, --json, a SARIF log
 * that validates against the SARIF 2.1.0 schema, the request bound and --delay, bad input.
 */
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MAX_REQUESTS } from '../../src/probe/prober.js';
import type { ScanReport } from '../../src/scan/run.js';
import { capture, runBin, serve, type TestServer } from '../tools/_helpers.js';
import { APP, CHECKS, handwritten, httpsHandwritten, type ZooServer } from './_zoo.js';

async function run(args: string[]) {
  const c = capture();
  const code = await main(['scan', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

let prefix: ZooServer;
let exact: ZooServer;
let counting: TestServer;
beforeAll(async () => {
  prefix = await handwritten(CHECKS.prefix);
  exact = await handwritten(CHECKS.exact);
  // Reflects any origin without credentials, and counts what it receives.
  counting = await serve((req, res) => {
    if (req.headers.origin !== undefined) res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Vary', 'Origin');
    res.end('x');
  });
});
afterAll(async () => {
  await Promise.all([prefix.close(), exact.close(), counting.close()]);
});

describe('corsgate scan prints each finding with its proof, impact and fix', () => {
  it('prints the finding, the probe that proved it, the impact and the fix (exit 1)', async () => {
    const r = await run([prefix.url, '--origin', APP]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`corsgate scan ${prefix.url}\ntrusted: ${APP}\n`);
    expect(r.out).toContain('1 finding (1 high)');
    expect(r.out).toContain(
      'HIGH prefix-match: an origin that starts with a trusted origin is allowed\n' +
        '  the server allowed Origin https://app.example.com.attacker.example (built from the trusted https://app.example.com) with credentials\n' +
        `  probe:  GET ${prefix.url}\n` +
        '          > Origin: https://app.example.com.attacker.example\n' +
        '          < 200\n' +
        '          < Vary: Origin\n' +
        '          < Access-Control-Allow-Origin: https://app.example.com.attacker.example\n' +
        '          < Access-Control-Allow-Credentials: true\n' +
        '  impact: an attacker registers a domain such as trusted.example.attacker.net',
    );
    expect(r.out).toContain('  fix:    compare the whole origin for equality');
    expect(r.out).toContain('result: 1 finding at or above medium');
  });

  it('exits 0 for a correct server and says there is no finding', async () => {
    const r = await run([exact.url, '--origin', APP]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no findings');
    expect(r.out).toContain('result: no finding at or above medium');
  });

  it('exits 0 when every finding is below --fail-on, and 1 when one is at or above it', async () => {
    // A reflection without credentials is low.
    expect((await run([counting.url, '--origin', APP])).code).toBe(0);
    expect((await run([counting.url, '--origin', APP, '--fail-on', 'low'])).code).toBe(1);
    expect((await run([prefix.url, '--origin', APP, '--fail-on', 'critical'])).code).toBe(0);
    expect((await run([prefix.url, '--origin', APP, '--fail-on', 'high'])).code).toBe(1);
  });

  it('prints the ScanReport with --json', async () => {
    const r = await run([prefix.url, '--origin', APP, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as ScanReport;
    expect(report.url).toBe(prefix.url);
    expect(report.trusted).toEqual([APP]);
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      id: 'prefix-match',
      severity: 'high',
      credentials: true,
      probe: { request: { method: 'GET', url: prefix.url }, response: { status: 200 } },
    });
  });
});

describe('corsgate scan --sarif', () => {
  const require = createRequire(import.meta.url);
  const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
  // The schema is draft-04 and has a pattern only valid without the u flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);

  it('prints a SARIF 2.1.0 log that validates against the schema, one result per finding', async () => {
    const r = await run([prefix.url, '--origin', APP, '--sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.out) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: Record<string, unknown>[] }[];
    };
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.version).toBe('2.1.0');
    const [run0] = log.runs;
    expect(run0?.results).toHaveLength(1);
    expect(run0?.results[0]).toMatchObject({
      ruleId: 'prefix-match',
      level: 'error',
      locations: [{ physicalLocation: { artifactLocation: { uri: prefix.url } } }],
    });
    const ruleIndex = run0?.results[0]?.['ruleIndex'] as number;
    expect(run0?.tool.driver.rules[ruleIndex]?.id).toBe('prefix-match');
  });

  it('validates with no result for a correct server, and when the server is unreachable', async () => {
    const clean = await run([exact.url, '--origin', APP, '--sarif']);
    expect(clean.code).toBe(0);
    expect(validate(JSON.parse(clean.out)), JSON.stringify(validate.errors)).toBe(true);
    const down = await run(['http://127.0.0.1:9/api', '--sarif']);
    expect(down.code).toBe(2);
    expect(down.err).toMatch(/^corsgate scan: 127\.0\.0\.1:9 did not answer: ECONNREFUSED[^\n]*\n$/);
    const log = JSON.parse(down.out);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
  });

  it('a broken log fails the validation (the schema check can fail)', () => {
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false);
  });
});

describe('corsgate scan stays bounded and polite', () => {
  it('sends a few dozen requests at most, every one counted in the report', async () => {
    const before = counting.seen.length;
    const trusted = [APP, 'https://admin.example.org', 'https://*.example.net', 'http://localhost:5173'];
    const r = await run([counting.url, ...trusted.flatMap((t) => ['--origin', t]), '--json']);
    const report = JSON.parse(r.out) as ScanReport;
    const sent = counting.seen.length - before;
    expect(report.requests).toBe(sent);
    expect(sent).toBeGreaterThan(20);
    expect(sent).toBeLessThanOrEqual(MAX_REQUESTS);
    // Only GET and OPTIONS: a scan never sends a state-changing method.
    expect(new Set(counting.seen.slice(before).map((x) => x.method))).toEqual(new Set(['GET', 'OPTIONS']));
  });

  it('waits --delay milliseconds between two requests', async () => {
    const started = Date.now();
    const r = await run([exact.url, '--origin', APP, '--delay', '40', '--json']);
    const report = JSON.parse(r.out) as ScanReport;
    expect(Date.now() - started).toBeGreaterThanOrEqual((report.requests - 1) * 40);
  });
});

describe('corsgate scan refuses bad input and says when the server is unreachable (exit 2)', () => {
  it.each([
    [['not a url'], 'is not a URL'],
    [['ftp://127.0.0.1/'], 'only http:, https:, ws: and wss: URLs can be scanned'],
    [['http://127.0.0.1/', '--origin', 'https://App.example.com/'], 'is not an origin as a browser sends it'],
    [['http://127.0.0.1/', '--fail-on', 'severe'], '--fail-on must be one of low, medium, high, critical'],
    [['http://127.0.0.1/', '--delay', 'soon'], '--delay must be a whole number'],
    [['http://127.0.0.1/', '--json', '--sarif'], 'give at most one of --json and --sarif'],
    [
      ['http://127.0.0.1/', '--resolve', 'other.example:127.0.0.1'],
      "names other.example, not the URL's host",
    ],
    [
      [
        'http://127.0.0.1/',
        ...['a', 'b', 'c', 'd', 'e'].flatMap((x) => ['--origin', `https://${x}.example`]),
      ],
      'at most 4 --origin values',
    ],
  ])('refuses %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 when nothing answers', async () => {
    const r = await run(['http://127.0.0.1:9/api', '--origin', APP]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'corsgate scan: 127.0.0.1:9 did not answer: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9\n',
    );
    expect(r.out).toBe('');
  });

  it('refuses a self-signed certificate unless --ca trusts it', async () => {
    const tls = await httpsHandwritten(CHECKS.exact);
    try {
      const untrusted = await run([tls.url, '--origin', APP]);
      expect(untrusted.code).toBe(2);
      expect(untrusted.err).toContain('did not answer: DEPTH_ZERO_SELF_SIGNED_CERT');
      const trusted = await run([tls.url, '--origin', APP, '--ca', tls.ca]);
      expect(trusted.code).toBe(0);
      expect(trusted.out).toContain('no findings');
    } finally {
      await tls.close();
    }
  });

  it('connects to --resolve HOST:ADDRESS for an internal name, and judges the name', async () => {
    const url = exact.url.replace('127.0.0.1', 'api.internal');
    const r = await run([url, '--origin', APP, '--resolve', 'api.internal:127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'MEDIUM private-network-credentials: an internal host allows a public origin with credentials\n  api.internal is an internal host and allowed the public Origin https://app.example.com with credentials',
    );
  });

  it('says why no look-alike is sent for an IP address without --origin', async () => {
    const r = await run([exact.url, '--json']);
    const report = JSON.parse(r.out) as ScanReport;
    expect(report.notes).toContain(
      'no look-alikes of 127.0.0.1 were sent: an IP address has none a browser would send (give the origins that should be trusted with --origin)',
    );
  });

  it('works as a binary with the documented exit codes', async () => {
    expect((await runBin(['scan', prefix.url, '--origin', APP])).code).toBe(1);
    expect((await runBin(['scan', exact.url, '--origin', APP])).code).toBe(0);
    expect((await runBin(['scan', 'http://127.0.0.1:9/'])).code).toBe(2);
  });
});
