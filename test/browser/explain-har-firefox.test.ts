/**
 * `corsgate explain --har` on HARs recorded from real Firefox ESR over WebDriver BiDi (issue 23):
 * Firefox keeps the refused response with its status and headers, and the preflight as an entry of
 * its own, so the classes come from the recorded headers, judged as Firefox judges them. Each case's
 * fix is applied to the real gateway and the same fetch then succeeds in Firefox.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/gateway/src/cli/main.js';
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
import { TEST_HOSTS, withTimeout } from './_engine.js';
import { ensureFirefox } from './_firefox.js';
import { recordFirefoxHar } from './_har.js';
import { closeServer, listen } from './_servers.js';

let browser: Browser;
let upstream: Upstream;
let pages: Server;
let tmp: TempDir;
let list: string;
let first: Gateway;
let methods: Promise<Gateway>;
let closedPort: number;
let pagePort: number;

const origin = () => `http://app.test:${pagePort}`;

async function fetchFrom(url: string, init: RequestInit, record: boolean) {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const recorder = record ? recordFirefoxHar(page) : undefined;
    await page.goto(`${origin()}/`);
    const outcome = await page.evaluate(
      async (u: string, i: RequestInit) => {
        try {
          return { ok: true, status: (await fetch(u, i)).status };
        } catch (e) {
          return { ok: false, error: String(e) };
        }
      },
      url,
      init as never,
    );
    if (recorder !== undefined) await waitFor(() => recorder.settled(url), 5_000, 'the HAR entry');
    return { outcome, har: recorder?.har() };
  } finally {
    await context.close();
  }
}

async function explain(har: object, name: string): Promise<Diagnosis[]> {
  const file = join(tmp.dir, `${name}.har`);
  writeFileSync(file, JSON.stringify(har));
  const c = capture();
  await main(['explain', '--har', file, '--json'], c.io);
  const report = JSON.parse(c.out()) as { engine: string; diagnoses: Diagnosis[] };
  expect(report.engine).toBe('firefox');
  return report.diagnoses;
}

beforeAll(async () => {
  tmp = tempDir();
  pages = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><head><title>page</title></head><body></body></html>');
  });
  pagePort = await listen(pages);
  closedPort = await freePort();
  upstream = await startUpstream();
  list = tmp.file('allowed_origins.list', 'https://someone-else.example\n');
  const start = (flags: string[]) =>
    startGateway(['--upstream', upstream.url, '--allowlist', list, ...flags]);
  methods = start(['--methods', 'PUT']);
  [first] = await Promise.all([start([]), methods]);
  browser = await withTimeout(
    'launching Firefox over WebDriver BiDi',
    60_000,
    puppeteer.launch({
      browser: 'firefox',
      executablePath: ensureFirefox(),
      headless: true,
      extraPrefsFirefox: { 'network.dns.localDomains': TEST_HOSTS.join(',') },
    }),
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await first?.stop();
  await (await methods)?.stop();
  await upstream?.close();
  if (pages !== undefined) await closeServer(pages);
  tmp?.remove();
});

describe('explain --har on HARs recorded from Firefox', () => {
  // One after the other: the second case needs the origin the first one adds.
  it('classifies an origin not on the list as acao-missing and a method the policy lacks as method-not-allowed; each named fix lets the same fetch through', async () => {
    const url = `http://api.test:${first.port}/items/1`;
    const { outcome, har } = await fetchFrom(url, {}, true);
    expect(outcome.ok).toBe(false);
    const [d, ...rest] = await explain(har!, 'firefox-origin');
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      classId: 'acao-missing',
      origin: origin(),
      corsgate: { allowlistLine: origin() },
    });
    expect(d!.engines.firefox.blocked).toBe(true);
    const applied = first.logs.filter((l) => l['event'] === 'allowlist-applied').length;
    appendFileSync(list, `${d!.corsgate.allowlistLine}\n`);
    await waitFor(
      () => first.logs.filter((l) => l['event'] === 'allowlist-applied').length > applied,
      10_000,
      'reload',
    );
    expect((await fetchFrom(url, {}, false)).outcome).toEqual({ ok: true, status: 200 });

    // Now listed, a PUT is refused at the preflight: Firefox records it, 403 with Corsgate-Refused.
    const put = await fetchFrom(url, { method: 'PUT' }, true);
    expect(put.outcome.ok).toBe(false);
    const [m] = await explain(put.har!, 'firefox-method');
    expect(m).toMatchObject({ classId: 'method-not-allowed', corsgate: { flags: ['--methods', 'PUT'] } });
    expect(m!.preflightEntry).toBeTypeOf('number');
    const fixed = await methods;
    expect(
      (await fetchFrom(`http://api.test:${fixed.port}/items/1`, { method: 'PUT' }, false)).outcome,
    ).toEqual({
      ok: true,
      status: 200,
    });
  }, 60_000);

  it('names a port nothing listens on as network-error, not CORS', async () => {
    const { outcome, har } = await fetchFrom(`http://api.test:${closedPort}/items/1`, {}, true);
    expect(outcome.ok).toBe(false);
    const diagnoses = await explain(har!, 'firefox-closed');
    expect(diagnoses.map((d) => [d.classId, d.notCors])).toEqual([['network-error', true]]);
  });
});
