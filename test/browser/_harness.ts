/**
 * The suite's shared set-up and the runner of one matrix row against one way in: start the engine
 * and the servers once, start each way in per policy variant behind a counting front door, run
 * the row's scenario in a page of the engine, and keep artefacts of a failing row under
 * test-results/browser/<engine>/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Case, type Context, type PagePorts, pageOrigin, variantConfig } from './_cases.js';
import { checkAgainst, type Verdicts } from './_check.js';
import { chromiumEngine, makeTls, type Tls } from './_chromium.js';
import type { Engine, EngineContext, EngineName, EnginePage, ScriptTarget } from './_engine.js';
import { firefoxEngine } from './_firefox.js';
import { type Observation, observe, type PageRequest } from './_page.js';
import {
  type FrontDoor,
  Log,
  type PageServers,
  type Seen,
  startFrontDoor,
  startPageServers,
} from './_servers.js';
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

/** The suite's loopback servers and logs, which need no browser. */
export interface SuiteServers {
  readonly tls: Tls;
  readonly pages: PageServers;
  readonly ports: PagePorts;
  /** What reached each way in (counted at its front door). */
  readonly ingress: Log;
  /** What reached the application behind each way in. */
  readonly upstream: Log;
}

export interface Suite extends SuiteServers {
  readonly engine: Engine;
  close(): Promise<void>;
}

export async function startServers(): Promise<SuiteServers> {
  const tls = makeTls();
  const pages = await startPageServers(tls);
  return {
    tls,
    pages,
    ports: { http1: pages.http1, http2: pages.http2, https: pages.https },
    ingress: new Log(),
    upstream: new Log(),
  };
}

/** The servers (started here unless given) and the engine. */
export async function startSuite(name: EngineName, given?: SuiteServers): Promise<Suite> {
  const servers = given ?? (await startServers());
  const engine = await launchEngine(name, servers.tls);
  return {
    ...servers,
    engine,
    async close() {
      await engine.close();
      await servers.pages.close();
    },
  };
}

interface Instance {
  readonly running: Running;
  readonly front: FrontDoor;
}

/** A row of the matrix: one case against one way in. */
export interface Row {
  readonly way: WayIn;
  readonly c: Case;
}

/** What a row's run left for its test to assert: the result, or why it could not run. */
export type RowRun =
  | { readonly ok: true; readonly result: RowResult; readonly page: EnginePage }
  | { readonly ok: false; readonly error: unknown; readonly page?: EnginePage };

type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

interface Slots {
  readonly rows: Limiter;
  readonly checks: Limiter;
  /** Pages being opened (shared ones and rows' own). */
  readonly pages: Limiter;
}

/** At most `n` of the tasks given to the returned function run at once. */
function limiter(n: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * The whole matrix of one engine, run side by side in its one browser process: one started way in
 * per (way in, variant) (a `reload` row gets its own, since it edits the list), one browser
 * context and one page per (origin, frame kind) shared by every way in, and every row started at
 * once. Rows cannot see each other: every row has its own URL (the preflight and HTTP caches are
 * keyed by URL), console lines are picked by that URL, cookies are scoped to the row's path, and
 * a row that navigates away (the form) gets a page of its own. Each row's test then asserts what
 * its row recorded.
 */
export class MatrixRun {
  private readonly started = new Map<string, Promise<Instance>>();
  private context: Promise<EngineContext> | undefined;
  private readonly pages = new Map<string, Promise<OpenPage>>();
  private readonly rows = new Map<string, Promise<RowRun>>();
  /** Rows with a page of their own open it a few at a time: each costs a renderer. */
  /**
   * Bounds on work in flight, so a loaded machine slows the run down rather than timing a browser
   * or a check out: rows whose requests are under way (WebKit's go out in one script per page, so
   * there they are not bounded), and `corsgate check` runs.
   */
  private readonly slots: Slots;
  /**
   * @param servers the suite's servers: the ways in start on them while the browser launches.
   * @param suite the same servers with the launched engine.
   */
  constructor(
    private readonly servers: SuiteServers,
    private readonly suite: Promise<Suite>,
    engine: EngineName,
  ) {
    this.slots = {
      rows: limiter(engine === 'webkit' ? Number.POSITIVE_INFINITY : 6),
      checks: limiter(2),
      pages: limiter(3),
    };
  }

  private static key(way: WayIn, c: Case): string {
    return `${way.name}|${c.id}`;
  }

  private instance(way: WayIn, c: Case): Promise<Instance> {
    const key = c.scenario === 'reload' ? `${way.name}|${c.variant}#${c.id}` : `${way.name}|${c.variant}`;
    let instance = this.started.get(key);
    if (instance === undefined) {
      instance = (async () => {
        const running = await way.start(variantConfig(c.variant, this.servers.ports), this.servers.upstream, {
          hotReload: c.scenario === 'reload',
        });
        const front = await startFrontDoor(running.port, this.servers.ingress, this.servers.tls);
        return { running, front };
      })();
      this.started.set(key, instance);
    }
    return instance;
  }

  private sharedContext(): Promise<EngineContext> {
    this.context ??= this.suite.then((suite) => suite.engine.newContext());
    return this.context;
  }

  /** The shared page for an origin and frame kind. */
  private page(origin: string, kind: Context): Promise<OpenPage> {
    const key = `${origin}|${kind}`;
    let page = this.pages.get(key);
    if (page === undefined) {
      page = this.sharedContext().then(async (context) =>
        openPage(await this.suite, origin, kind, false, context),
      );
      this.pages.set(key, page);
    }
    return page;
  }

  /**
   * A row that navigates its page away (the form) gets a page of its own in the shared context;
   * with CORSGATE_BROWSER_TRACE=1 every row gets a fresh context and a trace. Rows that set
   * cookies share pages too: a cookie is scoped to its row's path (appAnswer), so no other row's
   * request can carry it, in one jar or many.
   */
  private isolated(c: Case): boolean {
    return TRACE || c.scenario === 'form';
  }

  /**
   * Starts every row: each waits for its way in and its page, then runs. Rows whose way in and
   * page are ready together send their first requests together (one script per page in WebKit).
   */
  start(rows: readonly Row[]): void {
    for (const row of rows) {
      const run = this.runOne(row);
      // Asserted by the row's test; a failure here must not count as unhandled before it is.
      run.catch(() => {});
      this.rows.set(MatrixRun.key(row.way, row.c), run);
    }
  }

  /** The recorded run of a row (`start` must have been given it). */
  row(way: WayIn, c: Case): Promise<RowRun> {
    const run = this.rows.get(MatrixRun.key(way, c));
    if (run === undefined) throw new Error(`${c.id} against ${way.name} was not started`);
    return run;
  }

  private async runOne({ way, c }: Row): Promise<RowRun> {
    let page: EnginePage | undefined;
    try {
      const instance = await this.instance(way, c);
      const origin = pageOrigin(c.page, this.servers.ports);
      const kind = c.context ?? 'page';
      if (!this.isolated(c)) {
        const shared = await this.page(origin, kind);
        page = shared.page;
        return {
          ok: true,
          page,
          result: await runRow(await this.suite, instance, way, c, shared, this.slots),
        };
      }
      const suite = await this.suite;
      const shared = await this.sharedContext();
      const own = await this.slots.pages(() =>
        TRACE ? openPage(suite, origin, kind, true) : openPage(suite, origin, kind, false, shared),
      );
      page = own.page;
      try {
        return { ok: true, page: own.page, result: await runRow(suite, instance, way, c, own, this.slots) };
      } finally {
        if (TRACE) {
          await stopTrace(own.context, traceFile(suite, way, c)).catch(() => {});
          await own.context.close();
        } else await own.page.close().catch(() => {});
      }
    } catch (error) {
      return page === undefined ? { ok: false, error } : { ok: false, error, page };
    }
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.rows.values());
    this.rows.clear();
    const context = this.context;
    this.context = undefined;
    this.pages.clear();
    await (await context?.catch(() => undefined))?.close().catch(() => {});
    const all = await Promise.allSettled(this.started.values());
    this.started.clear();
    await Promise.all(
      all.map(async (r) => {
        if (r.status === 'fulfilled') {
          await r.value.front.close();
          await r.value.running.close();
        }
      }),
    );
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
  /** What reached the way in and the application under the row's prefix, before the check. */
  readonly ingress: readonly Seen[];
  readonly upstream: readonly Seen[];
  /** `corsgate check`'s verdicts for the same request (unless the case says why not). */
  readonly check: Verdicts | undefined;
  readonly consoleLines: readonly string[];
  /** Console lines keep arriving after the script has its answer; wait for one. */
  waitForConsole(pattern: RegExp, timeoutMs?: number): Promise<string | undefined>;
}

/** The front door's status for the first `method` request under `prefix` (the form's navigation). */
async function relayedStatus(suite: Suite, prefix: string, method: string): Promise<number> {
  // The limit only ends a browser that never submits (a loaded machine has taken over 10 s).
  const deadline = Date.now() + 30_000;
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

/** Where a row's artefacts go: test-results/browser/<engine>/<way in>/<case>/. */
function artefactDir(suite: Suite, way: WayIn, c: Case): string {
  return join(ARTEFACTS, suite.engine.name, slug(way.name), c.id);
}

function traceFile(suite: Suite, way: WayIn, c: Case): string {
  const dir = artefactDir(suite, way, c);
  mkdirSync(dir, { recursive: true });
  return join(dir, 'trace.zip');
}

/** What a row had done when it failed, for its artefacts. */
export class RowFailure extends Error {
  constructor(
    readonly reason: unknown,
    readonly url: string,
    readonly prefix: string,
    readonly steps: readonly Observation[],
  ) {
    super(reason instanceof Error ? reason.message : String(reason), { cause: reason });
  }
}

/**
 * Runs one row against its started way in, in `open` (a shared page or one of its own), then asks
 * `corsgate check` the same question; the result is asserted later by the row's test.
 */
export async function runRow(
  suite: Suite,
  { running, front }: Instance,
  way: WayIn,
  c: Case,
  open: OpenPage,
  slots: Slots,
): Promise<RowResult> {
  const origin = pageOrigin(c.page, suite.ports);
  const tlsPage = origin.startsWith('https:');
  const prefix = `/r/${slug(way.name)}/${c.id}/`;
  const base = tlsPage ? `https://api.app.test:${front.tlsPort}` : `http://api.app.test:${front.port}`;
  const query = c.request.query === undefined ? '' : `?${c.request.query}`;
  const path = `${prefix}${c.request.path ?? 'res'}${query}`;
  const url = `${base}${path}`;
  const req: PageRequest = { ...c.request, url };
  const { page, target, consoleLines } = open;
  const scriptOrigin = (c.context ?? 'page') === 'page' ? origin : 'null';
  const steps: Observation[] = [];
  try {
    const observation = await slots.rows(() =>
      runScenario({ suite, way, running, c, page, target, req, prefix }, steps),
    );
    // What reached the servers because of the page, counted before `corsgate check` sends its own.
    const ingress = suite.ingress.under(prefix);
    const upstream = suite.upstream.under(prefix);
    const check =
      c.noCheck === undefined
        ? await slots.checks(() =>
            checkAgainst(c, front.port, path, scriptOrigin, observation, suite.engine.model),
          )
        : undefined;
    const rowConsole = (): string[] => consoleLines.filter((l) => l.includes(prefix));
    return {
      origin: scriptOrigin,
      url,
      prefix,
      path,
      frontPort: front.port,
      observation,
      steps,
      ingress,
      upstream,
      check,
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
  } catch (error) {
    throw new RowFailure(error, url, prefix, steps);
  }
}

/**
 * Keeps what a failing row leaves under test-results/browser/<engine>/<way in>/<case>/: a
 * screenshot of its page when still open, the observation, what each server received, the console.
 */
export async function saveArtefacts(suite: Suite, way: WayIn, c: Case, run: RowRun): Promise<void> {
  const dir = artefactDir(suite, way, c);
  mkdirSync(dir, { recursive: true });
  await run.page?.screenshot(join(dir, 'page.png')).catch(() => {});
  const failure = run.ok ? undefined : run.error instanceof RowFailure ? run.error : undefined;
  const result = run.ok ? run.result : undefined;
  const prefix = result?.prefix ?? failure?.prefix ?? `/r/${slug(way.name)}/${c.id}/`;
  writeFileSync(
    join(dir, 'observation.json'),
    JSON.stringify(
      {
        engine: suite.engine.version,
        case: c,
        url: result?.url ?? failure?.url,
        observation: result?.observation,
        steps: result?.steps ?? failure?.steps,
        error: run.ok ? undefined : String(run.error instanceof Error ? run.error.stack : run.error),
        ingress: suite.ingress
          .under(prefix)
          .map((e) => ({ method: e.method, path: e.path, status: e.status, headers: e.headers })),
        upstream: suite.upstream.under(prefix).map((e) => ({ method: e.method, path: e.path })),
      },
      null,
      2,
    ),
  );
  const lines = run.page?.consoleLines ?? [];
  writeFileSync(join(dir, 'console.txt'), lines.filter((l) => l.includes(prefix)).join('\n'));
}
