/**
 * The suite's shared set-up and the runner of one matrix row against one way in: start Chromium
 * and the servers once, start each way in per policy variant behind a counting front door, run
 * the row's scenario in a fresh browser context, and keep artefacts of a failing row under
 * test-results/browser/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Frame, Page } from 'playwright-core';
import { type Case, type Context, type PagePorts, pageOrigin, variantConfig } from './_cases.js';
import { type LaunchedBrowser, launchChromium, makeTls, type Tls } from './_chromium.js';
import { type Observation, observe, type PageRequest } from './_page.js';
import { type FrontDoor, Log, type PageServers, startFrontDoor, startPageServers } from './_servers.js';
import type { Running, WayIn } from './_ways-in.js';

/**
 * Playwright traces cost about a third of each row's time, so they are recorded only with
 * CORSGATE_BROWSER_TRACE=1 (re-run a failing row with it); a failing row always leaves a
 * screenshot, the observation, the console and what each server received.
 */
const TRACE = process.env['CORSGATE_BROWSER_TRACE'] === '1';

export const ARTEFACTS = join(process.cwd(), 'test-results', 'browser');

export interface Suite {
  readonly tls: Tls;
  readonly pages: PageServers;
  readonly ports: PagePorts;
  readonly chromium: LaunchedBrowser;
  /** What reached each way in (counted at its front door). */
  readonly ingress: Log;
  /** What reached the application behind each way in. */
  readonly upstream: Log;
  close(): Promise<void>;
}

export async function startSuite(): Promise<Suite> {
  const tls = makeTls();
  const pages = await startPageServers(tls);
  const chromium = await launchChromium(tls);
  return {
    tls,
    pages,
    ports: { http1: pages.http1, http2: pages.http2, https: pages.https },
    chromium,
    ingress: new Log(),
    upstream: new Log(),
    async close() {
      await chromium.close();
      await pages.close();
    },
  };
}

interface Instance {
  readonly running: Running;
  readonly front: FrontDoor;
}

/** Started ways in, one per (way in, variant); a `reload` row gets its own, since it edits the list. */
export class Instances {
  private readonly started = new Map<string, Promise<Instance>>();
  constructor(private readonly suite: Suite) {}

  get(way: WayIn, c: Case): Promise<Instance> {
    const key = c.scenario === 'reload' ? `${c.variant}#${c.id}` : c.variant;
    let instance = this.started.get(key);
    if (instance === undefined) {
      instance = (async () => {
        const running = await way.start(variantConfig(c.variant, this.suite.ports), this.suite.upstream, {
          hotReload: c.scenario === 'reload',
        });
        const front = await startFrontDoor(running.port, this.suite.ingress, this.suite.tls);
        return { running, front };
      })();
      this.started.set(key, instance);
    }
    return instance;
  }

  private context: Promise<BrowserContext> | undefined;
  private readonly pages = new Map<string, Promise<OpenPage>>();

  /** The way in's shared page for an origin and frame kind. */
  page(origin: string, kind: Context): Promise<OpenPage> {
    this.context ??= this.suite.chromium.browser.newContext();
    const key = `${origin}|${kind}`;
    let page = this.pages.get(key);
    if (page === undefined) {
      page = this.context.then((context) => openPage(this.suite, origin, kind, false, context));
      this.pages.set(key, page);
    }
    return page;
  }

  async closeAll(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    this.pages.clear();
    await (await context)?.close();
    const all = await Promise.allSettled(this.started.values());
    this.started.clear();
    for (const r of all) {
      if (r.status === 'fulfilled') {
        await r.value.front.close();
        await r.value.running.close();
      }
    }
  }
}

export interface OpenPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Where scripts run: the page, or its sandboxed or data: frame. */
  readonly target: Page | Frame;
  readonly consoleLines: string[];
}

/** Opens a page at `origin` (with the frame a `kind` needs) and checks the script's origin. */
export async function openPage(
  suite: Suite,
  origin: string,
  kind: Context,
  fresh: boolean,
  shared?: BrowserContext,
): Promise<OpenPage> {
  const context = shared ?? (await suite.chromium.browser.newContext());
  if (fresh && TRACE) await context.tracing.start({ snapshots: true, screenshots: true });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  const pagePath = { page: '', 'sandboxed-iframe': 'sandbox', 'data-url': 'data-frame' }[kind];
  await page.goto(`${origin}/${pagePath}`);
  let target: Page | Frame = page;
  let scriptOrigin = origin;
  if (kind !== 'page') {
    const frame = await frameNamed(page, kind === 'data-url' ? 'data' : 'sandboxed');
    if (kind === 'data-url' && !frame.url().startsWith('data:')) throw new Error('not a data: frame');
    target = frame;
    scriptOrigin = 'null';
  }
  const seenOrigin = await target.evaluate(() => self.origin);
  if (seenOrigin !== scriptOrigin)
    throw new Error(`the page runs in ${seenOrigin}, expected ${scriptOrigin}`);
  return { context, page, target, consoleLines };
}

/** Playwright learns a child frame's name a moment after the page's load event. */
async function frameNamed(page: Page, name: string): Promise<Frame> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const frame = page.frame({ name });
    if (frame !== null) {
      await frame.waitForLoadState('load');
      return frame;
    }
    if (Date.now() > deadline) throw new Error(`the frame "${name}" did not load`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export interface RowResult {
  /** The page origin the script ran in, or `null` for the opaque contexts. */
  readonly origin: string;
  readonly url: string;
  readonly prefix: string;
  /** Path and query of the request (the same on every front door port). */
  readonly path: string;
  /** The way in's plain-http front door, for `corsgate check`. */
  readonly frontPort: number;
  readonly observation: Observation;
  /** Observations of earlier steps of the scenario. */
  readonly steps: readonly Observation[];
  readonly consoleLines: readonly string[];
  /** Console lines keep arriving after the script has its answer; wait for one. */
  waitForConsole(pattern: RegExp, timeoutMs?: number): Promise<string | undefined>;
}

/**
 * Runs one row against one way in. `inspect` gets the result while the page is still open, so a
 * failing assertion leaves a screenshot, a trace, the observation and the console under
 * test-results/browser/<way in>/<case>/.
 */
export async function runRow(
  suite: Suite,
  instances: Instances,
  way: WayIn,
  c: Case,
  inspect: (result: RowResult) => Promise<void>,
): Promise<void> {
  const { running, front } = await instances.get(way, c);
  const origin = pageOrigin(c.page, suite.ports);
  const tlsPage = origin.startsWith('https:');
  const prefix = `/r/${slug(way.name)}/${c.id}/`;
  const base = tlsPage ? `https://api.app.test:${front.tlsPort}` : `http://api.app.test:${front.port}`;
  const query = c.request.query === undefined ? '' : `?${c.request.query}`;
  const path = `${prefix}${c.request.path ?? 'res'}${query}`;
  const url = `${base}${path}`;
  const req: PageRequest = { ...c.request, url };

  // Rows share one browser context per way in and one page per (origin, frame kind): a new
  // renderer per row costs more than everything else the row does. Rows cannot see each other:
  // every row has its own URL (the preflight cache is keyed by URL), console lines are picked by
  // that URL, and rows that navigate away (the form) or set cookies (a cookie jar is per host,
  // not per port) get a context of their own. With
  // CORSGATE_BROWSER_TRACE=1 every row gets a fresh context and a trace.
  const setsCookie = c.scenario === 'cookie' || (c.request.query ?? '').includes('cookie=set');
  const isolated = TRACE || c.scenario === 'form' || setsCookie;
  const kind = c.context ?? 'page';
  const own = isolated ? await openPage(suite, origin, kind, true) : undefined;
  const shared = own ?? (await instances.page(origin, kind));
  const { page, target, context } = shared;
  const consoleLines = shared.consoleLines;
  const scriptOrigin = kind === 'page' ? origin : 'null';
  const steps: Observation[] = [];
  let observation: Observation | undefined;
  try {
    switch (c.scenario ?? 'once') {
      case 'once':
        observation = await observe(target, req);
        break;
      case 'twice':
        steps.push(await observe(target, req));
        observation = await observe(target, req);
        break;
      case 'cookie': {
        const sep = url.includes('?') ? '&' : '?';
        steps.push(
          await observe(target, { url: `${url}${sep}cookie=set&value=c00kie`, credentials: 'include' }),
        );
        observation = await observe(target, req);
        break;
      }
      case 'reload':
        steps.push(await observe(target, req));
        if (running.setOrigins === undefined) throw new Error(`${way.name} cannot change its allowlist`);
        await running.setOrigins([`http://other.test:${suite.ports.http1}`]);
        observation = await observe(target, req);
        break;
      case 'form': {
        // The response, not the navigation: Chromium turns an empty error answer (a bare 403)
        // into its own error page and fails the navigation, but the response still arrives.
        const navigation = page.waitForResponse((r) => r.url() === url, { timeout: 10_000 });
        await page.evaluate((action) => {
          const form = document.createElement('form');
          form.method = 'POST';
          form.action = action;
          const input = document.createElement('input');
          input.name = 'amount';
          input.value = '1000';
          form.appendChild(input);
          document.body.appendChild(form);
          form.submit();
        }, url);
        const response = await navigation;
        observation = {
          outcome: 'resolved',
          status: response.status(),
          type: 'navigation',
          body: await response.text().catch(() => ''),
          headers: {},
        };
        break;
      }
    }
    const rowConsole = (): string[] => consoleLines.filter((l) => l.includes(prefix));
    const result: RowResult = {
      origin: scriptOrigin,
      url,
      prefix,
      path,
      frontPort: front.port,
      observation: observation!,
      steps,
      get consoleLines() {
        return rowConsole();
      },
      async waitForConsole(pattern, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const hit = rowConsole().find((l) => pattern.test(l));
          if (hit !== undefined || Date.now() > deadline) return hit;
          await new Promise((r) => setTimeout(r, 50));
        }
      },
    };
    await inspect(result);
    if (TRACE && own !== undefined) await context.tracing.stop();
  } catch (error) {
    const dir = join(ARTEFACTS, slug(way.name), c.id);
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'page.png') }).catch(() => {});
    if (TRACE && own !== undefined)
      await context.tracing.stop({ path: join(dir, 'trace.zip') }).catch(() => {});
    writeFileSync(
      join(dir, 'observation.json'),
      JSON.stringify(
        {
          case: c,
          url,
          observation,
          steps,
          ingress: suite.ingress
            .under(prefix)
            .map((e) => ({ method: e.method, path: e.path, headers: e.headers })),
          upstream: suite.upstream.under(prefix).map((e) => ({ method: e.method, path: e.path })),
        },
        null,
        2,
      ),
    );
    writeFileSync(join(dir, 'console.txt'), consoleLines.filter((l) => l.includes(prefix)).join('\n'));
    throw error;
  } finally {
    if (own !== undefined) await own.context.close();
  }
}
