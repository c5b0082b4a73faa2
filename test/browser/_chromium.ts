/**
 * Finds Debian's Chromium, installing it with apt-get when it is missing, and launches it with
 * the host mapping and the trusted self-signed certificate. A missing browser is a failure, never
 * a skip: this suite is the final judge of the CORS behaviour (issue 7).
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import type { Engine, EngineContext, EnginePage, ScriptTarget } from './_engine.js';

const CANDIDATES = [process.env['CORSGATE_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];

function executable(path: string | undefined): path is string {
  if (path === undefined || path === '') return false;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 280_000,
  });
}

/** Installs Debian packages; throws a readable error when it cannot. */
export function aptInstall(packages: string[]): void {
  try {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...packages]);
  } catch (error) {
    throw new Error(
      `browser suite: ${packages.join(', ')} missing and "apt-get install -y ${packages.join(' ')}" failed ` +
        `(${error instanceof Error ? error.message : String(error)}). Install it (Debian package "${packages.join('", "')}") ` +
        'or set CORSGATE_CHROMIUM to a Chromium binary; this suite never skips.',
    );
  }
}

/** The path of a Chromium binary, installed with apt-get when missing. */
export function ensureChromium(): string {
  const found = CANDIDATES.find(executable);
  if (found !== undefined) return found;
  aptInstall(['chromium']);
  const installed = CANDIDATES.find(executable);
  if (installed === undefined)
    throw new Error('browser suite: apt-get installed chromium but no binary found');
  return installed;
}

function ensureOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    aptInstall(['openssl']);
  }
}

export interface Tls {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** base64 sha256 of the certificate's SubjectPublicKeyInfo, for --ignore-certificate-errors-spki-list. */
  readonly spki: string;
}

/**
 * A fresh self-signed certificate for the https page origin. Chromium is told to trust exactly
 * this key with --ignore-certificate-errors-spki-list (honoured only with --user-data-dir).
 */
export function makeTls(): Tls {
  ensureOpenssl();
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=app.test',
        '-addext',
        'subjectAltName=DNS:app.test,DNS:*.app.test,DNS:*.partner.test,DNS:evil.test',
      ],
      { stdio: 'ignore' },
    );
    const certPem = readFileSync(cert);
    const spkiDer = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return {
      key: readFileSync(key),
      cert: certPem,
      spki: createHash('sha256').update(spkiDer).digest('base64'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * One Chromium for the whole suite. Every `*.test` name resolves to 127.0.0.1, so page origins
 * and API origins differ by host while everything stays on loopback.
 */
export async function launchChromium(tls: Tls): Promise<LaunchedBrowser> {
  const executablePath = ensureChromium();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Playwright itself passes a fresh, empty --user-data-dir (launch() refuses one in args),
      // which is also what makes Chromium honour --ignore-certificate-errors-spki-list.
      '--host-resolver-rules=MAP *.test 127.0.0.1, EXCLUDE localhost',
      `--ignore-certificate-errors-spki-list=${tls.spki}`,
      // Keep http page origins http (no automatic upgrade to https) so scheme is ours to vary.
      '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

function scriptTarget(target: Page | Frame): ScriptTarget {
  return {
    evaluate: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      target.evaluate(fn as unknown as (arg: unknown) => Promise<R>, arg as unknown) as Promise<R>,
  };
}

async function chromiumPage(page: Page): Promise<EnginePage> {
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  return {
    ...scriptTarget(page),
    consoleLines,
    async frame(name) {
      // Playwright learns a child frame's name a moment after the page's load event.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const frame = page.frame({ name });
        if (frame !== null) {
          await frame.waitForLoadState('load');
          return scriptTarget(frame);
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

/** Chromium as an `Engine` of the matrix: the browser of `launchChromium`. */
export async function chromiumEngine(tls: Tls): Promise<Engine> {
  const launched = await launchChromium(tls);
  const { browser } = launched;
  return {
    name: 'chromium',
    label: 'Chromium',
    version: `Chromium ${browser.version()} (Debian chromium, playwright-core over the DevTools protocol)`,
    model: 'chromium',
    console: true,
    isolatedContexts: true,
    async newContext(): Promise<EngineContext & { tracing: unknown }> {
      const context = await browser.newContext();
      return {
        // For CORSGATE_BROWSER_TRACE=1 (the harness's startTrace).
        tracing: context.tracing,
        async open(url) {
          const page = await context.newPage();
          // Hang guards only: a machine shared by several runs has taken over 30 s for one page.
          page.setDefaultTimeout(90_000);
          const opened = await chromiumPage(page);
          await page.goto(url);
          return opened;
        },
        close: () => context.close(),
      };
    },
    close: () => launched.close(),
  };
}
