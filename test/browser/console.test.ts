/**
 * The console in real Chromium (docs/console.md "The console"): an operator signs in, a page's
 * cross-origin fetch is refused, its origin appears among the denied, one press of its
 * `Allow <origin>` button puts it on the list, and the same fetch from the same page succeeds.
 * Screenshots at 1280 and 390 px are kept under test-results/console/; axe-core finds no serious
 * or critical violation.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
} from '../../packages/gateway/test/helpers.js';
import { type LaunchedBrowser, launchChromium, makeTls } from './_chromium.js';
import { observe } from './_page.js';
import { closeServer, listen } from './_servers.js';

const ARTEFACTS = join(process.cwd(), 'test-results', 'console');
const TOKEN = 'console-secret-0123456789';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let chromium: LaunchedBrowser;
let context: BrowserContext;
let upstream: Upstream;
let gateway: Gateway;
let pages: Server;
let pagePort: number;
let tmp: TempDir;
let list: string;

function pageOrigin(): string {
  return `http://page.test:${pagePort}`;
}

/** The API behind the gateway, as the page's script addresses it (another origin). */
function apiUrl(path: string): string {
  return `http://api.test:${gateway.port}${path}`;
}

async function openPage(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${pageOrigin()}/`);
  return page;
}

async function openConsole(width = 1280, height = 900): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  await page.goto(`${gateway.adminUrl}/`);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core in the page's own world (evaluated over the DevTools protocol, so the CSP stays on). */
async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } };
    const result = await w.axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes }));
  });
}

beforeAll(async () => {
  mkdirSync(ARTEFACTS, { recursive: true });
  const tls = makeTls();
  chromium = await launchChromium(tls);
  context = await chromium.browser.newContext();
  pages = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>page</title></head><body></body></html>',
    );
  });
  pagePort = await listen(pages);
  upstream = await startUpstream();
  tmp = tempDir();
  list = tmp.file('allowed_origins.list', '# callers of the API\nhttps://app.example.com\n');
  const tokens = tmp.file('tokens', `operator:${TOKEN}\n`);
  gateway = await startGateway([
    '--upstream',
    upstream.url,
    '--allowlist',
    list,
    '--admin-token-file',
    tokens,
  ]);
}, 300_000);

afterAll(async () => {
  await context?.close();
  await chromium?.close();
  await gateway?.stop();
  await upstream?.close();
  if (pages !== undefined) await closeServer(pages);
  tmp?.remove();
});

describe('the console in Chromium', () => {
  it('is signed into with a token; a wrong token is refused', async () => {
    const page = await openConsole();
    await page.getByLabel('Admin token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('header').textContent()).toContain('Signed in as operator');
    await page.close();
  });

  it('shows a refused origin, allows it with its Allow button, and the same fetch then succeeds', async () => {
    const app = await openPage();
    const before = await observe(app, { url: apiUrl('/items/1') });
    expect(before.outcome).toBe('rejected');

    const console = await openConsole();
    const allow = console.getByRole('button', { name: `Allow ${pageOrigin()}` });
    await expect.poll(() => allow.count()).toBe(1);
    await shot(console, 'denied-1280');
    await allow.click();
    await expect.poll(() => console.getByRole('status').textContent()).toContain(`Allowed ${pageOrigin()}`);
    expect(readFileSync(list, 'utf8')).toContain(`${pageOrigin()}\n`);
    await expect.poll(() => console.locator('#denied').textContent()).toContain('listed now (line 3)');
    expect(await allow.count()).toBe(0);
    await shot(console, 'allowed-1280');

    const after = await observe(app, { url: apiUrl('/items/2') });
    expect(after.outcome).toBe('resolved');
    expect(after.status).toBe(200);
    expect(after.headers['content-type']).toContain('application/json');

    const audit = await (await fetch(`${gateway.adminUrl}/audit`)).json();
    expect(audit.records[0]).toMatchObject({
      token: 'operator',
      action: 'add',
      diff: { added: [pageOrigin()] },
    });
    await console.close();
    await app.close();
  });

  it("refuses a cross-site page's form post and no-cors fetch to the admin listener, signed in or not", async () => {
    const app = await openPage();
    const admin = gateway.adminUrl;
    await app.evaluate(async (adminUrl) => {
      await fetch(`${adminUrl}/allowlist/origins`, {
        method: 'POST',
        mode: 'no-cors',
        body: JSON.stringify({ origin: 'https://evil-fetch.example' }),
      }).catch(() => undefined);
    }, admin);
    const response = app.waitForResponse((r) => r.url() === `${admin}/console/add`);
    await app.evaluate((adminUrl) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = `${adminUrl}/console/add`;
      const input = document.createElement('input');
      input.name = 'origin';
      input.value = 'https://evil-form.example';
      form.append(input);
      document.body.append(form);
      form.submit();
    }, admin);
    expect((await response).status()).toBe(403);
    const text = readFileSync(list, 'utf8');
    expect(text).not.toContain('evil-form');
    expect(text).not.toContain('evil-fetch');
    await app.close();
  });

  it('shows the origin a staged candidate list would break, and promotes it as one version', async () => {
    const console = await openConsole();
    await console.getByLabel('Candidate list text').fill('# without the page\nhttps://app.example.com\n');
    await console.getByRole('button', { name: 'Stage as the candidate' }).click();
    await expect.poll(() => console.getByRole('status').textContent()).toContain('candidate list is staged');

    const app = await openPage();
    const fetched = await observe(app, { url: apiUrl('/items/3') });
    expect(fetched.outcome).toBe('resolved');
    await app.close();

    await console.reload();
    const row = console.locator('#candidate tr', { hasText: pageOrigin() });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toBe('allowed');
    expect(await row.locator('td').nth(2).textContent()).toBe('refused');
    await shot(console, 'candidate-1280');
    await console.close();
  });

  it('explains a request: the decision and the allowlist line that made it', async () => {
    const page = await openConsole();
    await page.getByLabel('Origin', { exact: true }).fill(pageOrigin());
    await page.getByLabel('Method').fill('PUT');
    await page.getByRole('button', { name: 'Explain' }).click();
    const decision = page.getByRole('definition').filter({ hasText: 'refused' });
    await expect.poll(() => decision.count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#explain').textContent()).toContain('method-not-allowed');
    await page.getByLabel('Method').fill('GET');
    await page.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => page.locator('#explain').textContent()).toContain('line 3');
    await page.close();
  });

  it('previews an invalid addition with its lint finding and applies nothing', async () => {
    const page = await openConsole();
    const before = readFileSync(list, 'utf8');
    await page.getByLabel('Origin to add').fill('https://bad.example.com/path');
    await page.getByRole('button', { name: 'Preview' }).first().click();
    await expect.poll(() => page.locator('#preview').textContent()).toContain('CG_ORIGIN_HAS_PATH');
    expect(await page.getByRole('button', { name: /^Apply/ }).count()).toBe(0);
    expect(readFileSync(list, 'utf8')).toBe(before);
    await page.close();
  });

  it('is usable from the keyboard: Tab reaches the first Remove button, Enter opens its preview', async () => {
    const page = await openConsole();
    const target = page.getByRole('button', { name: 'Remove https://app.example.com' });
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await target.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#preview h2').textContent())
      .toBe('Preview: Remove https://app.example.com');
    await page.close();
  });

  it('at 390 px shows every column of a denied row, and after Allow lands on the notice in view', async () => {
    const phoneOrigin = `http://phone.test:${pagePort}`;
    const app = await context.newPage();
    await app.goto(`${phoneOrigin}/`);
    expect((await observe(app, { url: apiUrl('/items/phone') })).outcome).toBe('rejected');
    await app.close();

    const page = await openConsole(390, 844);
    const row = page.locator('#denied tbody tr', { hasText: phoneOrigin });
    await expect.poll(() => row.count()).toBe(1);
    const cells = row.locator('td');
    expect(await cells.count()).toBe(6);
    for (let i = 0; i < 6; i++) {
      const cell = cells.nth(i);
      await cell.scrollIntoViewIfNeeded();
      const box = await cell.boundingBox();
      expect(box, `column ${i + 1}`).not.toBeNull();
      // Inside the 390 px viewport, not cut off by the table's scrolling box.
      expect(box!.x, `column ${i + 1}`).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, `column ${i + 1}`).toBeLessThanOrEqual(390);
      expect(box!.width, `column ${i + 1}`).toBeGreaterThan(0);
      expect(await cell.isVisible()).toBe(true);
    }
    const scrolls = await row.evaluate((tr) => {
      const box = tr.closest('.box') as HTMLElement;
      return box.scrollWidth - box.clientWidth;
    });
    expect(scrolls).toBeLessThanOrEqual(0);
    await shot(page, 'denied-390');

    await page.getByRole('button', { name: `Allow ${phoneOrigin}` }).click();
    await page.waitForURL(/notice=/);
    const notice = page.locator('#notice');
    await expect.poll(() => notice.textContent()).toContain(`Allowed ${phoneOrigin}`);
    const inView = await notice.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
    });
    expect(inView).toBe(true);
    await shot(page, 'allowed-390');
    await page.close();
  });

  it('is readable at 390 px: nothing wider than the viewport outside the scrolling tables', async () => {
    const page = await openConsole(390, 844);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'console-390');
    await page.close();
  });

  it('has no serious or critical axe-core violation, signed in, at 1280 and 390 px', async () => {
    for (const width of [1280, 390]) {
      const page = await openConsole(width, 900);
      await page.getByLabel('Origin', { exact: true }).fill('https://x.example.com');
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.waitForURL(/explain_origin/);
      const violations = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
      await page.close();
    }
  });

  it('shows a refused edit of the file: the last error with its line in the reload status, inline on the list', async () => {
    const good = readFileSync(list, 'utf8');
    try {
      tmp.atomic('allowed_origins.list', `${good}https://typo.example.com/app\n`);
      const badLine = good.split('\n').length;
      const page = await openConsole();
      await expect
        .poll(async () => {
          await page.reload();
          return page.locator('#status').textContent();
        })
        .toContain(`CG_ORIGIN_HAS_PATH at line ${badLine}`);
      const line = page.locator('ol.lines li').nth(badLine - 1);
      expect(await line.textContent()).toContain('error CG_ORIGIN_HAS_PATH');
      await shot(page, 'refused-edit-1280');
      await page.close();
    } finally {
      tmp.atomic('allowed_origins.list', good);
    }
  });

  it('runs no script and loads nothing from elsewhere: a strict Content-Security-Policy', async () => {
    const res = await fetch(`${gateway.adminUrl}/`);
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    // Every link, stylesheet and form target is on the listener itself (a path, never a URL).
    expect(html).not.toMatch(/(?:src|href|action|formaction)="(?!\/|#)/i);
  });
});

/** The HAR DevTools would export for a PUT whose preflight `answer` refused (issue 23). */
function harOf(origin: string, url: string, answer: Response): string {
  const headers = (h: Headers | Record<string, string>) =>
    Object.entries(h instanceof Headers ? Object.fromEntries(h) : h).map(([name, value]) => ({
      name,
      value,
    }));
  const started = new Date().toISOString();
  const request = (method: string, extra: Record<string, string>) => ({
    method,
    url,
    httpVersion: 'HTTP/1.1',
    headers: headers({ Origin: origin, Referer: `${origin}/`, ...extra }),
    queryString: [],
    cookies: [],
    headersSize: -1,
    bodySize: 0,
  });
  return JSON.stringify({
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      pages: [],
      entries: [
        {
          startedDateTime: started,
          _resourceType: 'fetch',
          request: request('PUT', { 'Content-Type': 'application/json' }),
          response: { status: 0, statusText: '', headers: [], _error: 'net::ERR_FAILED' },
        },
        {
          startedDateTime: started,
          _resourceType: 'preflight',
          request: request('OPTIONS', {
            'Access-Control-Request-Method': 'PUT',
            'Access-Control-Request-Headers': 'content-type',
          }),
          response: {
            status: answer.status,
            statusText: answer.statusText,
            headers: headers(answer.headers),
          },
        },
      ],
    },
  });
}

async function openFailurePage(width = 1280): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${gateway.adminUrl}/explain-failure`);
  return page;
}

async function explainText(page: Page, text: string): Promise<number> {
  await page.getByLabel('Console message or HAR text').fill(text);
  const answer = page.waitForResponse((r) => r.url().endsWith('/console/explain-failure'));
  await page.getByRole('button', { name: 'Explain the failure' }).click();
  return (await answer).status();
}

describe('the Explain page in Chromium', () => {
  // Signed in on its own, so these run alone too (`-t`): the session cookie is the context's.
  beforeAll(async () => {
    const page = await openConsole();
    if ((await page.getByLabel('Admin token').count()) > 0) {
      await page.getByLabel('Admin token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${gateway.adminUrl}/`);
    }
    await page.close();
  });

  it('explains a pasted Chromium console message with a sequence, and its Allow button lets the same fetch through', async () => {
    const origin = `http://explain.test:${pagePort}`;
    const app = await context.newPage();
    const messages: string[] = [];
    app.on('console', (m) => messages.push(m.text()));
    await app.goto(`${origin}/`);
    expect((await observe(app, { url: apiUrl('/items/explain') })).outcome).toBe('rejected');
    await expect.poll(() => messages.find((m) => m.includes('blocked by CORS policy'))).toBeDefined();
    const message = messages.find((m) => m.includes('blocked by CORS policy'))!;

    const page = await openFailurePage();
    expect(await explainText(page, message)).toBe(200);
    const failure = page.locator('#failure');
    await expect.poll(() => failure.locator('h3').textContent()).toContain('acao-missing');
    const steps = page.getByRole('list', { name: 'Sequence of failure 1' }).getByRole('listitem');
    expect(await steps.count()).toBeGreaterThanOrEqual(4);
    expect(await steps.first().textContent()).toContain(`from ${origin}`);
    expect(await failure.textContent()).toContain(`Access-Control-Allow-Origin: ${origin}`);
    for (const engine of ['Chromium', 'Firefox', 'Safari'])
      expect(await page.getByRole('rowheader', { name: engine }).count()).toBe(1);
    await shot(page, 'explain-message-1280');

    await page.getByRole('button', { name: `Allow ${origin}` }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`Allowed ${origin}`);
    expect(readFileSync(list, 'utf8')).toContain(`${origin}\n`);
    const after = await observe(app, { url: apiUrl('/items/explain-2') });
    expect(after.outcome).toBe('resolved');
    expect(after.status).toBe(200);

    // Explained again, the origin shows the line that lists it instead of a button.
    await page.goto(`${gateway.adminUrl}/explain-failure`);
    await explainText(page, message);
    await expect.poll(() => page.locator('#failure').textContent()).toMatch(/is listed now \(line \d+\)/);
    expect(await page.getByRole('button', { name: `Allow ${origin}` }).count()).toBe(0);
    await page.close();
    await app.close();
  });

  it("shows a pasted HAR's preflight, recorded from the gateway, with its headers in the sequence", async () => {
    const origin = 'https://har.example.com';
    const url = `http://127.0.0.1:${gateway.port}/items/har`;
    const answer = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    await answer.arrayBuffer();
    const page = await openFailurePage();
    expect(await explainText(page, harOf(origin, url, answer))).toBe(200);
    await expect.poll(() => page.locator('#fail-result').textContent()).toContain('Read as a HAR');
    const sequence = page.getByRole('list', { name: 'Sequence of failure 1' });
    const preflight = sequence.getByRole('listitem').filter({ hasText: 'The preflight' }).first();
    expect(await preflight.textContent()).toContain(`OPTIONS ${url}`);
    expect(await preflight.textContent()).toContain('access-control-request-method: PUT');
    const response = sequence.getByRole('listitem').filter({ hasText: 'The preflight response' });
    expect(await response.textContent()).toContain(`status ${answer.status}`);
    expect(await sequence.textContent()).toContain('never forwarded to the upstream');
    // Read left to right as the lanes are: the answer's arrow points back at the browser.
    expect(await response.locator('.dir').textContent()).toBe('browser ← corsgate');
    expect(await sequence.textContent()).toContain('The request is never sent: the preflight failed');
    expect(await page.getByRole('button', { name: `Allow ${origin}` }).count()).toBe(1);
    await shot(page, 'explain-har-1280');
    await page.close();
  });

  it('answers bad input with a clear error, never a 500', async () => {
    const page = await openFailurePage();
    const cases: [string, string][] = [
      ['{"log": ', 'CG_HAR_NOT_JSON'],
      ['{"entries": []}', 'CG_HAR_NOT_HAR'],
      ['hello, this is not a console message', 'Not a CORS failure corsgate knows'],
      ['   ', 'Nothing to explain'],
    ];
    for (const [text, expected] of cases) {
      expect(await explainText(page, text), text).toBe(400);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(expected);
    }
    await page.close();
  });

  it('takes no more than the small body limit before a token: a 9 KB paste without a session gets 413', async () => {
    const body = new URLSearchParams({ text: `{"log":{"entries":[]},"pad":"${'x'.repeat(9 * 1024)}"}` });
    const res = await fetch(`${gateway.adminUrl}/console/explain-failure`, { method: 'POST', body });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('CG_GATEWAY_ADMIN_BODY_TOO_LARGE');
    const small = await fetch(`${gateway.adminUrl}/console/explain-failure`, {
      method: 'POST',
      body: new URLSearchParams({ text: '{"log":{"entries":[]}}' }),
    });
    expect(small.status).toBe(200);
    expect(await small.text()).toContain('No failed cross-origin request in it.');
  });

  it('has no serious or critical axe-core violation with a result shown, at 1280 and 390 px', async () => {
    const message = `Access to fetch at 'http://api.test:${gateway.port}/x' from origin 'https://axe.example.com' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.`;
    for (const width of [1280, 390]) {
      const page = await openFailurePage(width);
      await explainText(page, message);
      await expect.poll(() => page.locator('#failure h3').count()).toBe(1);
      const violations = (await axe(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      if (width === 390) await shot(page, 'explain-390');
      await page.close();
    }
  });
});
