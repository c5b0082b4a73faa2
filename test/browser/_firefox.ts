/**
 * Firefox for the browser suite (issue 22): Debian's `firefox-esr`, driven by puppeteer-core over
 * WebDriver BiDi (Playwright cannot drive a stock Firefox). Every host name of the suite resolves
 * to loopback through `network.dns.localDomains`; the suite's self-signed certificate is accepted
 * for the session. A missing browser is installed with apt-get or fails the run (docs/browsers.md).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import puppeteer, { type Browser, type BrowserContext, type Frame, type Page } from 'puppeteer-core';
import { aptInstall } from './_chromium.js';
import {
  type Engine,
  type EngineContext,
  type EnginePage,
  type ScriptTarget,
  TEST_HOSTS,
  withTimeout,
} from './_engine.js';

const CANDIDATES = [process.env['CORSGATE_FIREFOX'], '/usr/bin/firefox-esr', '/usr/bin/firefox'];

function executable(path: string | undefined): path is string {
  if (path === undefined || path === '') return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function ensureFirefox(): string {
  const found = CANDIDATES.find(executable);
  if (found !== undefined) return found;
  aptInstall(['firefox-esr']);
  const installed = CANDIDATES.find(executable);
  if (installed === undefined)
    throw new Error('browser suite: apt-get installed firefox-esr but no binary found');
  return installed;
}

/**
 * Preferences for a test profile: host names to loopback, no https upgrade of the http page
 * origins, nothing fetched in the background that would reach the suite's servers.
 */
const PREFS: Record<string, unknown> = {
  'network.dns.localDomains': TEST_HOSTS.join(','),
  'dom.security.https_first': false,
  'dom.security.https_first_pbm': false,
  'dom.security.https_only_mode': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.http.http3.enable': false,
};

function scriptTarget(target: Page | Frame): ScriptTarget {
  return {
    evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      target.evaluate(fn as (arg: unknown) => Promise<R>, arg) as Promise<R>,
  };
}

function firefoxPage(page: Page): EnginePage {
  return {
    ...scriptTarget(page),
    consoleLines: [],
    async frame(name) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        for (const frame of page.frames()) {
          const element = await frame.frameElement();
          const named = await element?.evaluate((el) => el.getAttribute('name'));
          await element?.dispose();
          if (named === name) return scriptTarget(frame);
        }
        if (Date.now() > deadline) throw new Error(`the frame "${name}" did not load`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async screenshot(path) {
      await page.screenshot({ path });
    },
    close: () => page.close(),
  };
}

/**
 * A new tab in a user context. With many contexts opened and closed side by side, Firefox
 * 153 ESR now and then fails `browsingContext.create` with "no such frame" (the about:blank it
 * starts from was discarded): that one error is tried once more, every other fails the row.
 */
async function newPage(context: BrowserContext): Promise<Page> {
  try {
    return await context.newPage();
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('no such frame')) throw error;
    return context.newPage();
  }
}

/** Firefox as an `Engine`: one browser process; each context is a BiDi user context. */
export async function firefoxEngine(): Promise<Engine> {
  const executablePath = ensureFirefox();
  const packaged = execFileSync(executablePath, ['--version'], { encoding: 'utf8' }).trim();
  const browser: Browser = await withTimeout(
    `launching ${executablePath} over WebDriver BiDi`,
    60_000,
    puppeteer.launch({
      browser: 'firefox',
      executablePath,
      headless: true,
      acceptInsecureCerts: true,
      extraPrefsFirefox: PREFS,
      // A hang guard only: a machine shared by several runs has taken over 30 s for one command.
      protocolTimeout: 90_000,
    }),
  );
  return {
    name: 'firefox',
    label: 'Firefox',
    version: `${packaged} (${await browser.version()}, puppeteer-core over WebDriver BiDi)`,
    model: 'firefox',
    console: false,
    isolatedContexts: true,
    async newContext(): Promise<EngineContext> {
      const context = await browser.createBrowserContext();
      return {
        async open(url) {
          const page = await newPage(context);
          await page.goto(url, { timeout: 90_000 });
          return firefoxPage(page);
        },
        close: () => context.close(),
      };
    },
    async close() {
      await browser.close().catch(() => {});
    },
  };
}
