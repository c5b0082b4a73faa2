/**
 * The suite's shared set-up and the runner of one matrix row against one way in: start the engine
 * and the servers once, start each way in per policy variant behind a counting front door, run
 * the row's scenario in a page of the engine, and keep artefacts of a failing row under
 * test-results/browser/<engine>/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Case, type Context, type PagePorts, pageOrigin, variantConfig } from './_cases.js';
import { chromiumEngine, makeTls, type Tls } from './_chromium.js';
import type { Engine, EngineContext, EngineName, EnginePage, ScriptTarget } from './_engine.js';
import { firefoxEngine } from './_firefox.js';
import { type Observation, observe, type PageRequest } from './_page.js';
import { type FrontDoor, Log, type PageServers, startFrontDoor, startPageServers } from './_servers.js';
import type { Running, WayIn } from './_ways-in.js';
import { webkitEngine } from './_webkit.js';

/**
 * Playwright traces cost about a third of each row's time, so they are recorded only with
 * CORSGATE_BROWSER_TRACE=1, and then every row gets a fresh context (Chromium); a failing row
 * always leaves a screenshot, the observation, the console and what each server received.
 */
const TRACE = process.env['CORSGATE_BROWSER_TRACE'] === '1';

export const ARTEFACTS = join(process.cwd(), 'test-results', 'browser');

/** Launches one engine; the error says what is missing and how to install it. */
export async function launchEngine(name: EngineName, tls: Tls): Promise<Engine> {
  switch (name) {
    case 'chromium':
      return chromiumEngine(tls);
    case 'firefox':
      return firefoxEngine();
    case 'webkit':
      return webkitEngine(tls);
  }
}

export interface Suite {
  readonly tls: Tls;
  readonly pages: PageServers;
  readonly ports: PagePorts;
  readonly engine: Engine;
  /** What reached each way in (counted at its front door). */
  readonly ingress: Log;
  /** What reached the application behind each way in. */
  readonly upstream: Log;
  close(): Promise<void>;
}

export async function startSuite(name: EngineName): Promise<Suite> {
  const tls = makeTls();
  const pages = await startPageServers(tls);
  const engine = await launchEngine(name, tls);
  return {
    tls,
    pages,
    ports: { http1: pages.http1, http2: pages.http2, https: pages.https },
    engine,
    ingress: new Log(),
    upstream: new Log(),
    async close() {
      await engine.close();
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

  private context: Promise<EngineContext> | undefined;
  private readonly pages = new Map<string, Promise<OpenPage>>();

  /** The way in's shared page for an origin and frame kind. */
  page(origin: string, kind: Context): Promise<OpenPage> {
    this.context ??= this.suite.engine.newContext();
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
  readonly context: EngineContext;
  readonly page: EnginePage;
  /** Where scripts run: the page, or its sandboxed or data: frame. */
  readonly target: ScriptTarget;
  readonly consoleLines: string[];
}

/** Opens a page at `origin` (with the frame a `kind` needs) and checks the script's origin. */
export async function openPage(
  suite: Suite,
  origin: string,
  kind: Context,
  fresh: boolean,
  shared?: EngineContext,
): Promise<OpenPage> {
  const context = shared ?? (await suite.engine.newContext());
  if (fresh && TRACE) await startTrace(context);
  const pagePath = { page: '', 'sandboxed-iframe': 'sandbox', 'data-url': 'data-frame' }[kind];
  const page = await context.open(`${origin}/${pagePath}`);
  let target: ScriptTarget = page;
  let scriptOrigin = origin;
  if (kind !== 'page') {
    const frame = await page.frame(kind === 'data-url' ? 'data' : 'sandboxed');
    if (kind === 'data-url' && !(await frame.evaluate(() => location.href, undefined)).startsWith('data:'))
      throw new Error('not a data: frame');
    target = frame;
    scriptOrigin = 'null';
  }
  const seenOrigin = await target.evaluate(() => self.origin, undefined);
  if (seenOrigin !== scriptOrigin)
    throw new Error(`the page runs in ${seenOrigin}, expected ${scriptOrigin}`);
  return { context, page, target, consoleLines: page.consoleLines };
}

/** Playwright traces (Chromium only), kept for a failing row under CORSGATE_BROWSER_TRACE=1. */
async function startTrace(context: EngineContext): Promise<void> {
  const tracing = (context as { tracing?: { start(o: object): Promise<void> } }).tracing;
  await tracing?.start({ snapshots: true, screenshots: true });
}

async function stopTrace(context: EngineContext, path?: string): Promise<void> {
  const tracing = (context as { tracing?: { stop(o: object): Promise<void> } }).tracing;
  await tracing?.stop(path === undefined ? {} : { path });
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

/** The front door's status for the first `method` request under `prefix` (the form's navigation). */
async function relayedStatus(suite: Suite, prefix: string, method: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = suite.ingress.under(prefix).find((e) => e.method === method)?.status;
    if (status !== undefined) return status;
    if (Date.now() > deadline) throw new Error(`no ${method} under ${prefix} reached the way in`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface ScenarioInput {
  readonly suite: Suite;
  readonly way: WayIn;
  readonly running: Running;
  readonly c: Case;
  readonly page: EnginePage;
  readonly target: ScriptTarget;
  readonly req: PageRequest;
  readonly prefix: string;
}

/** Runs the row's scenario; earlier steps go to `steps`, the last observation is returned. */
async function runScenario(input: ScenarioInput, steps: Observation[]): Promise<Observation> {
  const { suite, way, running, c, page, target, req } = input;
  switch (c.scenario ?? 'once') {
    case 'once':
      return observe(target, req);
    case 'twice':
      steps.push(await observe(target, req));
      return observe(target, req);
    case 'cookie': {
      const sep = req.url.includes('?') ? '&' : '?';
      steps.push(
        await observe(target, { url: `${req.url}${sep}cookie=set&value=c00kie`, credentials: 'include' }),
      );
      return observe(target, req);
    }
    case 'reload':
      steps.push(await observe(target, req));
      if (running.setOrigins === undefined) throw new Error(`${way.name} cannot change its allowlist`);
      await running.setOrigins([`http://other.test:${suite.ports.http1}`]);
      return observe(target, req);
    case 'form': {
      // The status the way in answered, as relayed by the front door: engines show an empty
      // error answer (a bare 403) as an error page of their own or fail the navigation, and the
      // page's script is gone once the form is submitted, so nothing waits on it.
      void page
        .evaluate((action) => {
          const form = document.createElement('form');
          form.method = 'POST';
          form.action = action;
          const input = document.createElement('input');
          input.name = 'amount';
          input.value = '1000';
          form.appendChild(input);
          document.body.appendChild(form);
          setTimeout(() => form.submit(), 50);
        }, req.url)
        .catch(() => undefined);
      const status = await relayedStatus(suite, input.prefix, 'POST');
      return { outcome: 'resolved', status, type: 'navigation', body: '', headers: {} };
    }
  }
}

/**
 * Runs one row against one way in. `inspect` gets the result while the page is still open, so a
 * failing assertion leaves a screenshot, a trace, the observation and the console under
 * test-results/browser/<engine>/<way in>/<case>/.
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
  // that URL, cookies are scoped to the row's path, and rows that navigate away (the form) or
  // set cookies get a page (Chromium, Firefox: a context) of their own. With
  // CORSGATE_BROWSER_TRACE=1 every row gets a fresh context and a trace.
  const setsCookie = c.scenario === 'cookie' || (c.request.query ?? '').includes('cookie=set');
  const isolated = TRACE || c.scenario === 'form' || setsCookie;
  const kind = c.context ?? 'page';
  const own = isolated ? await openPage(suite, origin, kind, true) : undefined;
  const shared = own ?? (await instances.page(origin, kind));
  const { page, target, context } = shared;
  const consoleLines = shared.consoleLines;
  const steps: Observation[] = [];
  let observation: Observation | undefined;
  try {
    observation = await runScenario({ suite, way, running, c, page, target, req, prefix }, steps);
    const rowConsole = (): string[] => consoleLines.filter((l) => l.includes(prefix));
    await inspect({
      origin: kind === 'page' ? origin : 'null',
      url,
      prefix,
      path,
      frontPort: front.port,
      observation,
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
    });
    if (TRACE && own !== undefined) await stopTrace(context);
  } catch (error) {
    const dir = join(ARTEFACTS, suite.engine.name, slug(way.name), c.id);
    mkdirSync(dir, { recursive: true });
    await page.screenshot(join(dir, 'page.png')).catch(() => {});
    if (TRACE && own !== undefined) await stopTrace(context, join(dir, 'trace.zip')).catch(() => {});
    writeFileSync(
      join(dir, 'observation.json'),
      JSON.stringify(
        {
          engine: suite.engine.version,
          case: c,
          url,
          observation,
          steps,
          ingress: suite.ingress
            .under(prefix)
            .map((e) => ({ method: e.method, path: e.path, status: e.status, headers: e.headers })),
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
