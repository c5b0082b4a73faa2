/**
 * `corsgate explain --har` against HARs recorded from real Chromium (issue 23, docs/cli.md
 * "explain --har"): for every failure class this suite can make the gateway produce, the page's
 * fetch fails, the HAR of it (built from the DevTools protocol, _har.ts) gets the right class and a
 * fix; the fix is applied to the real gateway (its allowlist line, or its flags) and the same fetch
 * from the same page then succeeds. Failures that look like CORS but are not (Local Network Access,
 * mixed content, a refused connection, a redirected preflight) are named as such, with no CORS fix,
 * from the HAR and from the console message Chromium printed for the same fetch (explain --message);
 * a server that is not corsgate (the scan zoo's habits) gets the classes its headers show.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/gateway/src/cli/main.js';
import { readConsoleMessage } from '../../packages/gateway/src/explain/console-message.js';
import type { Diagnosis } from '../../packages/gateway/src/har/diagnose.js';
import {
  freePort,
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from '../../packages/gateway/test/helpers.js';
import { capture } from '../../packages/gateway/test/tools/_helpers.js';
import { ensureChromium, makeTls } from './_chromium.js';
import { recordHar } from './_har.js';
import { closeServer, listen } from './_servers.js';

const PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>page</title></head><body></body></html>';
const pageHandler: RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(PAGE);
};

let browser: Browser;
let upstream: Upstream;
let tmp: TempDir;
const servers: Server[] = [];
const gateways: Gateway[] = [];
/** A page on loopback, a page Chromium is told is public (Local Network Access), an https page. */
const ports = { local: 0, public: 0, https: 0, zoo: 0, closed: 0 };

type PageKind = 'local' | 'public' | 'secure' | 'stranger';
function pageOrigin(kind: PageKind): string {
  if (kind === 'local') return `http://app.test:${ports.local}`;
  if (kind === 'public') return `http://public.test:${ports.public}`;
  // Two https pages on one server: one on the gateway's list, one not.
  return `https://${kind}.test:${ports.https}`;
}

/** The scan zoo's habits, as a server that is not corsgate: path → how it answers. */
const zoo: RequestListener = (req, res) => {
  const origin = req.headers.origin ?? '';
  if (req.url === '/redirect' && req.method === 'OPTIONS') {
    res.writeHead(307, { location: '/elsewhere', 'access-control-allow-origin': origin });
    res.end();
    return;
  }
  if (req.url === '/wildcard')
    res.writeHead(200, { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' });
  else if (req.url === '/twice')
    res.writeHead(200, [
      ['Access-Control-Allow-Origin', origin],
      ['Access-Control-Allow-Origin', origin],
    ]);
  else res.writeHead(200, { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'PUT' });
  res.end('{}');
};

interface Outcome {
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

/** One fetch from a fresh page of `kind` (its own browser context), and its HAR when asked. */
async function fetchFrom(kind: PageKind, url: string, init: RequestInit, record: boolean) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    const recorder = record ? await recordHar(page) : undefined;
    await page.goto(`${pageOrigin(kind)}/`);
    const outcome = await page.evaluate(
      async (u: string, i: RequestInit): Promise<Outcome> => {
        try {
          const r = await fetch(u, i);
          return { ok: true, status: r.status };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      },
      url,
      init as never,
    );
    // The failure's events (loadingFailed) reach the recorder a moment after the script sees it.
    if (recorder !== undefined) await waitFor(() => recorder.settled(url), 5_000, 'the HAR entry');
    return { outcome, har: recorder?.har(), consoleLines };
  } finally {
    await context.close();
  }
}

async function explain(har: object, name: string, format: '--json' | '--sarif' = '--json') {
  const file = join(tmp.dir, `${name}.har`);
  writeFileSync(file, JSON.stringify(har));
  if (process.env['CORSGATE_KEEP_HAR'] !== undefined)
    writeFileSync(join(process.env['CORSGATE_KEEP_HAR'], `${name}.har`), JSON.stringify(har, null, 1));
  const c = capture();
  const code = await main(['explain', '--har', file, format], c.io);
  return { code, out: JSON.parse(c.out()) as { diagnoses: Diagnosis[]; engine: string }, err: c.err() };
}

/** A TLS gateway (an https page may only call https: mixed content otherwise). */
async function gateway(flags: readonly string[]): Promise<Gateway> {
  const g = await startGateway(['--upstream', upstream.url, '--allowlist', list, ...tlsFlags, ...flags]);
  gateways.push(g);
  return g;
}

let list: string;
let tlsFlags: string[];
/** The gateway every case first meets: the secure page listed, nothing beyond the defaults. */
let first: Gateway;

beforeAll(async () => {
  tmp = tempDir();
  const tls = makeTls();
  const listening = async (server: Server) => {
    servers.push(server);
    return listen(server);
  };
  ports.local = await listening(createHttpServer(pageHandler));
  ports.public = await listening(createHttpServer(pageHandler));
  ports.https = await listening(createHttpsServer({ key: tls.key, cert: tls.cert }, pageHandler));
  ports.zoo = await listening(createHttpServer(zoo));
  ports.closed = await freePort();
  upstream = await startUpstream();
  tlsFlags = [
    '--tls-cert',
    tmp.file('cert.pem', tls.cert.toString()),
    '--tls-key',
    tmp.file('key.pem', tls.key.toString()),
  ];
  list = tmp.file('allowed_origins.list', `${pageOrigin('secure')}\n`);
  const starting = gateway([]);
  for (const flags of [['--methods', 'PUT'], ['--request-headers', 'x-trace'], ['--credentials']])
    fixed.set(flags.join(' '), gateway(flags));
  // Every start is awaited here, so a gateway that cannot start fails the file, not one case.
  await Promise.all(fixed.values());
  first = await starting;
  browser = await puppeteer.launch({
    executablePath: ensureChromium(),
    headless: true,
    acceptInsecureCerts: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--host-resolver-rules=MAP *.test 127.0.0.1, EXCLUDE localhost',
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      // The one page Chromium treats as served from the internet, for Local Network Access.
      `--ip-address-space-overrides=127.0.0.1:${ports.public}=public`,
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(gateways.map((g) => g.stop()));
  await upstream?.close();
  await Promise.all(servers.map(closeServer));
  tmp?.remove();
});

/** Each class corsgate's own answers produce, the request that shows it, and its fix. */
const GATEWAY_CASES = [
  { name: 'an origin not on the list', classId: 'acao-missing', page: 'stranger', init: {} },
  {
    name: 'a method the policy lacks',
    classId: 'method-not-allowed',
    page: 'secure',
    init: { method: 'PUT' },
  },
  {
    name: 'a request header the policy lacks',
    classId: 'header-not-allowed',
    page: 'secure',
    init: { headers: { 'x-trace': '1' } },
  },
  {
    name: 'credentials the policy does not allow',
    classId: 'credentials-not-allowed',
    page: 'secure',
    init: { credentials: 'include' },
  },
] as const satisfies readonly { name: string; classId: string; page: PageKind; init: RequestInit }[];

/** Applies the report's corsgate fix: the line to the list in force, or the flags to a new gateway. */
async function applyFix(d: Diagnosis): Promise<Gateway> {
  if (d.corsgate.allowlistLine !== undefined) {
    const applied = first.logs.filter((l) => l['event'] === 'allowlist-applied').length;
    appendFileSync(list, `${d.corsgate.allowlistLine}\n`);
    await waitFor(
      () => first.logs.filter((l) => l['event'] === 'allowlist-applied').length > applied,
      10_000,
      'the gateway applying the new line',
    );
    return first;
  }
  expect(d.corsgate.flags, JSON.stringify(d.corsgate)).toBeDefined();
  const key = d.corsgate.flags!.join(' ');
  // Started while the browser launched, for the flags a correct report names; any other is started now.
  return fixed.get(key) ?? gateway(d.corsgate.flags!);
}

/** Gateways with each fix's flags, keyed by the flags as the report writes them. */
const fixed = new Map<string, Promise<Gateway>>();

describe('explain --har on HARs recorded from Chromium', () => {
  it.concurrent.each(GATEWAY_CASES)(
    'classifies $name as $classId, and its fix applied to the gateway lets the same fetch through',
    async ({ name, classId, page, init }) => {
      const url = `https://api.test:${first.port}/items/1`;
      const { outcome, har } = await fetchFrom(page, url, init, true);
      expect(outcome.ok, name).toBe(false);
      const { code, out } = await explain(har!, classId);
      expect(code).toBe(1);
      expect(out.engine).toBe('chromium');
      expect(out.diagnoses).toHaveLength(1);
      const d = out.diagnoses[0]!;
      expect(d).toMatchObject({ classId, notCors: false, origin: pageOrigin(page), url });
      expect(d.engines.chromium.blocked).toBe(true);
      // The text report says the same, and what the file cannot tell (Chromium strips Cookie).
      const text = capture();
      await main(['explain', '--har', join(tmp.dir, `${classId}.har`)], text.io);
      expect(text.out()).toContain(`CORS ${classId}: `);
      expect(text.out()).toContain(
        d.corsgate.allowlistLine === undefined
          ? `with corsgate: start the gateway with ${d.corsgate.flags!.join(' ')}`
          : `with corsgate: add the line "${d.corsgate.allowlistLine}" to the allowlist`,
      );
      expect(text.out()).toContain("note: Chromium's default export");
      const fixed = await applyFix(d);
      const again = await fetchFrom(page, `https://api.test:${fixed.port}/items/1`, init, false);
      expect(again.outcome, JSON.stringify(d)).toEqual({ ok: true, status: 200 });
    },
    // Two browser contexts, a HAR and a gateway each: well within this on an idle machine.
    60_000,
  );

  /** Failures that look like CORS but are not: no header, so no corsgate fix, can help. */
  const LOOK_ALIKES = [
    {
      name: 'a public page calling a loopback address',
      classId: 'local-network-access',
      page: 'public',
      path: 'loopback',
    },
    {
      name: 'a public page whose preflight Chromium stops',
      classId: 'local-network-access',
      page: 'public',
      path: 'put',
    },
    { name: 'an https page calling http', classId: 'mixed-content', page: 'secure', path: 'http' },
    { name: 'a port nothing listens on', classId: 'network-error', page: 'local', path: 'closed' },
    {
      name: 'a preflight answered with a redirect',
      classId: 'preflight-redirect',
      page: 'local',
      path: 'redirect',
    },
  ] as const;

  it.concurrent.each(LOOK_ALIKES)(
    'names $name as $classId, not a CORS change',
    async ({ classId, page, path }) => {
      const target = {
        // The public page is on no list: Chromium stops it before any answer could say so.
        loopback: [`https://127.0.0.1:${first.port}/items/1`, {}],
        put: [`https://api.test:${first.port}/items/1`, { method: 'PUT' }],
        http: [`http://zoo.test:${ports.zoo}/items/1`, {}],
        closed: [`http://api.test:${ports.closed}/items/1`, {}],
        redirect: [`http://zoo.test:${ports.zoo}/redirect`, { method: 'PUT' }],
      }[path] as [string, RequestInit];
      const { outcome, har, consoleLines } = await fetchFrom(page, target[0], target[1], true);
      expect(outcome.ok).toBe(false);
      const { code, out } = await explain(har!, `look-alike-${path}`);
      expect(code).toBe(1);
      expect(out.diagnoses.map((d) => d.classId)).toEqual([classId]);
      const d = out.diagnoses[0]!;
      expect(d.notCors).toBe(true);
      expect(d.corsgate.allowlistLine).toBeUndefined();
      expect(d.corsgate.flags).toBeUndefined();
      // The console text Chromium printed for the same fetch, through explain --message.
      const reading = readConsoleMessage(consoleLines.join('\n'));
      if (classId === 'preflight-redirect') expect(reading).toMatchObject({ classId });
      else expect(reading, consoleLines.join('\n')).toMatchObject({ engine: 'chromium', notCors: classId });
      const c = capture();
      expect(await main(['explain', '--message', consoleLines.join('\n')], c.io)).toBe(
        classId === 'preflight-redirect' ? 0 : 1,
      );
      if (classId !== 'preflight-redirect') expect(c.out()).toContain('not a CORS failure');
    },
    // Two browser contexts, a HAR and a gateway each: well within this on an idle machine.
    60_000,
  );

  it.concurrent.each([
    { path: '/wildcard', init: { credentials: 'include' }, classId: 'wildcard-with-credentials' },
    { path: '/twice', init: {}, classId: 'acao-duplicate' },
  ] as const)('classifies $path as $classId from the recorded headers', async ({ path, init, classId }) => {
    const url = `http://zoo.test:${ports.zoo}${path}`;
    const { outcome, har } = await fetchFrom('local', url, init as RequestInit, true);
    expect(outcome.ok).toBe(false);
    const { out } = await explain(har!, `zoo${path.replace('/', '-')}`);
    expect(out.diagnoses.map((d) => d.classId)).toEqual([classId]);
  });

  it('writes a SARIF 2.1.0 log that validates against the schema, one result per failed request', async () => {
    const { har } = await fetchFrom('local', `http://zoo.test:${ports.zoo}/twice`, {}, true);
    const require = createRequire(import.meta.url);
    const schema = require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json') as object;
    // The schema is draft-04 and has a pattern only valid without the u flag (as scan's test).
    const Ajv = require('ajv-draft-04') as typeof import('ajv-draft-04').default;
    const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const { code, out } = await explain(har!, 'sarif', '--sarif');
    expect(code).toBe(1);
    expect(validate(out), JSON.stringify(validate.errors)).toBe(true);
    const log = out as unknown as { runs: { results: { ruleId: string }[] }[] };
    expect(log.runs[0]!.results.map((r) => r.ruleId)).toEqual(['acao-duplicate']);
  });
});
