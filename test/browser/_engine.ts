/**
 * What the browser suite asks of a browser engine, whatever drives it (issue 22): open a page at
 * a URL, run a function in the page or in one of its frames and get its result back, take a
 * screenshot. Chromium is driven by playwright-core, Firefox by puppeteer-core over WebDriver
 * BiDi, WebKit (WebKitGTK's MiniBrowser) by WebDriver classic; each launches one browser process
 * per test file and fails loudly (never skips) when it cannot (docs/browsers.md).
 */
import type { Browser as ModelBrowser } from '../../packages/gateway/src/browser-model/response.js';

export type EngineName = 'chromium' | 'firefox' | 'webkit';
export const ENGINE_NAMES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

/** Where a function runs: a page or a frame in it. The function is sent as source text. */
export interface ScriptTarget {
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /**
   * Runs `fn` once per argument, side by side, from one script; each result settles on its own.
   * Only where a script costs several driver round trips (WebKit's WebDriver classic serves one
   * command at a time); elsewhere each call is its own `evaluate`.
   */
  evaluateEach?<A, R>(fn: (arg: A) => Promise<R>, args: readonly A[]): Promise<R>[];
}

export interface EnginePage extends ScriptTarget {
  /** Console messages, as `type: text` (Chromium only: see `Engine.console`). */
  readonly consoleLines: string[];
  /** The child frame with this `name` attribute, once it has loaded. */
  frame(name: string): Promise<ScriptTarget>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

/** A set of pages; with Chromium and Firefox also a cookie jar and caches of its own. */
export interface EngineContext {
  open(url: string): Promise<EnginePage>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** How the report names it: `Chromium`, `Firefox`, `WebKit`. */
  readonly label: string;
  /** Browser and driver versions, printed in the test output. */
  readonly version: string;
  /** The browser-model profile `corsgate check --browser` uses for this engine. */
  readonly model: ModelBrowser;
  /**
   * Whether the CORS messages a browser logs reach the suite. Chromium's DevTools protocol
   * reports them; Firefox's WebDriver BiDi log carries only script console calls and errors, and
   * WebDriver classic has no log at all (docs/browsers.md).
   */
  readonly console: boolean;
  /** Whether contexts are separate cookie jars (WebDriver classic has one per session). */
  readonly isolatedContexts: boolean;
  newContext(): Promise<EngineContext>;
  close(): Promise<void>;
}

/**
 * Every host name the suites use. Chromium maps `*.test` with a resolver rule and WebKit goes
 * through the suite's proxy, but Firefox's `network.dns.localDomains` takes a list of exact names.
 */
export const TEST_HOSTS: readonly string[] = [
  'app.test',
  'api.app.test',
  'page.app.test',
  'evil.test',
  'other.test',
  'partner.test',
  'sub.partner.test',
  'a.b.partner.test',
  'evilpartner.test',
  'partner.test.evil.test',
  'page.test',
  'api.test',
];

/** Runs `task`, failing with `what` after `ms` (a browser that hangs must fail the run, not stall it). */
export async function withTimeout<T>(what: string, ms: number, task: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([task, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
