/**
 * WebKit for the browser suite (issue 22): Debian's `webkit2gtk-driver` (WebKitWebDriver driving
 * WebKitGTK's MiniBrowser) under `xvfb-run`, over WebDriver classic with a small client on
 * `fetch`. Host names reach loopback through a private /etc/hosts (`hostsFile`). Session creation
 * hangs without a display, so every step is timed out; a missing package is installed with
 * apt-get or fails the run (docs/browsers.md).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, type Tls } from './_chromium.js';
import {
  type Engine,
  type EngineContext,
  type EnginePage,
  type ScriptTarget,
  TEST_HOSTS,
  withTimeout,
} from './_engine.js';

const ARTEFACTS = join(process.cwd(), 'test-results', 'browser');

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const MINIBROWSER = [
  process.env['CORSGATE_MINIBROWSER'],
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser',
];

function miniBrowser(): string | undefined {
  return MINIBROWSER.find((path) => {
    if (path === undefined || path === '') return false;
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** WebKitWebDriver, MiniBrowser, xvfb-run and xauth, installed with apt-get when missing. */
export function ensureWebKit(): string {
  const missing: string[] = [];
  if (!onPath('WebKitWebDriver') || miniBrowser() === undefined) missing.push('webkit2gtk-driver');
  if (!onPath('xvfb-run')) missing.push('xvfb');
  if (!onPath('xauth')) missing.push('xauth');
  if (!onPath('unshare')) missing.push('util-linux');
  if (missing.length > 0) aptInstall(missing);
  const found = miniBrowser();
  if (found === undefined)
    throw new Error('browser suite: webkit2gtk-driver is installed but no MiniBrowser found');
  return found;
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface WireAnswer {
  value: unknown;
}

/** One WebDriver classic session; commands that depend on the current window go through `inWindow`. */
class Session {
  private queue: Promise<unknown> = Promise.resolve();
  private currentWindow = '';
  constructor(
    private readonly base: string,
    readonly id: string,
    /** The browser's version as the driver reports it (WebKitGTK's, e.g. 2.50.6). */
    readonly browserVersion: string,
  ) {}

  async command(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await withTimeout(
      `WebDriver ${method} ${path}`,
      // A hang guard: commands wait in one queue, and a loaded machine has taken over 20 s.
      60_000,
      fetch(`${this.base}/session/${this.id}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    const answer = (await response.json()) as WireAnswer;
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(answer.value)}`);
    return answer.value;
  }

  /** Runs `steps` with `handle` current and no frame selected, one group at a time. */
  inWindow<T>(handle: string, steps: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.currentWindow !== handle) {
        await this.command('POST', '/window', { handle });
        this.currentWindow = handle;
      }
      return steps();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  forget(handle: string): void {
    if (this.currentWindow === handle) this.currentWindow = '';
  }
}

/** Starts `fn(arg)` in the page and stores its settled value under `id` in `window.__corsgate`. */
function startScript(fn: string): string {
  return `const arg = arguments[0], id = arguments[1];
const store = (window.__corsgate = window.__corsgate || {});
store[id] = { done: false };
Promise.resolve().then(() => (${fn})(arg)).then(
  (value) => { store[id] = { done: true, value }; },
  (error) => { store[id] = { done: true, error: String((error && error.stack) || error) }; });
return true;`;
}

const POLL = `const store = window.__corsgate, id = arguments[0];
const entry = store && store[id];
if (!entry || !entry.done) return null;
delete store[id];
return entry;`;

/** Starts `fn(arg)` for every argument in the page; each result is stored under `id:index`. */
function startEachScript(fn: string): string {
  return `const args = arguments[0], id = arguments[1];
const store = (window.__corsgate = window.__corsgate || {});
args.forEach((arg, i) => {
  const key = id + ':' + i;
  store[key] = { done: false };
  Promise.resolve().then(() => (${fn})(arg)).then(
    (value) => { store[key] = { done: true, value }; },
    (error) => { store[key] = { done: true, error: String((error && error.stack) || error) }; });
});
return true;`;
}

/** The results of `startEachScript` settled since the last poll, by index. */
const POLL_EACH = `const store = window.__corsgate || {}, id = arguments[0], count = arguments[1];
const settled = {};
for (let i = 0; i < count; i++) {
  const entry = store[id + ':' + i];
  if (entry && entry.done) { settled[i] = entry; delete store[id + ':' + i]; }
}
return settled;`;

let nextScript = 0;

/**
 * `fn` runs concurrently with other pages' scripts: WebDriver classic serves one command at a
 * time, so the script is started with one command and its result collected by polling, instead
 * of an execute/async that would hold the session for the whole request.
 */
function webkitTarget(session: Session, handle: string, frameName?: string): ScriptTarget {
  let frameRef: unknown;
  const inTarget = <T>(steps: () => Promise<T>): Promise<T> =>
    session.inWindow(handle, async () => {
      if (frameName === undefined) return steps();
      frameRef ??= await session.command('POST', '/element', {
        using: 'css selector',
        value: `iframe[name="${frameName}"]`,
      });
      await session.command('POST', '/frame', { id: frameRef });
      try {
        return await steps();
      } finally {
        await session.command('POST', '/frame', { id: null });
      }
    });
  return {
    async evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
      const id = `s${nextScript++}`;
      await inTarget(() =>
        session.command('POST', '/execute/sync', { script: startScript(String(fn)), args: [arg, id] }),
      );
      // A page's requests leave in one script (observe), so one script may carry many of them.
      const deadline = Date.now() + 60_000;
      for (let wait = 5; ; wait = Math.min(wait * 2, 40)) {
        await new Promise((r) => setTimeout(r, wait));
        const entry = (await inTarget(() =>
          session.command('POST', '/execute/sync', { script: POLL, args: [id] }),
        )) as { value?: R; error?: string } | null;
        if (entry !== null) {
          if (entry.error !== undefined) throw new Error(`script failed in WebKit: ${entry.error}`);
          return entry.value as R;
        }
        if (Date.now() > deadline)
          throw new Error('script gave no result within 60 s (the page navigated away?)');
      }
    },
    evaluateEach<A, R>(fn: (arg: A) => Promise<R>, args: readonly A[]): Promise<R>[] {
      const id = `s${nextScript++}`;
      const settle = args.map(() => {
        let resolve!: (value: R) => void;
        let reject!: (error: Error) => void;
        const promise = new Promise<R>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise, resolve, reject };
      });
      const pending = new Set(args.map((_, i) => i));
      const failAll = (error: Error): void => {
        for (const i of pending) settle[i]!.reject(error);
        pending.clear();
      };
      void (async () => {
        await inTarget(() =>
          session.command('POST', '/execute/sync', { script: startEachScript(String(fn)), args: [args, id] }),
        );
        const deadline = Date.now() + 60_000;
        // Many requests per script: polling less often leaves the one session to other pages.
        for (let wait = 10; pending.size > 0; wait = Math.min(wait * 2, 100)) {
          await new Promise((r) => setTimeout(r, wait));
          const settled = (await inTarget(() =>
            session.command('POST', '/execute/sync', { script: POLL_EACH, args: [id, args.length] }),
          )) as Record<string, { value?: R; error?: string }>;
          for (const [index, entry] of Object.entries(settled)) {
            const i = Number(index);
            if (!pending.delete(i)) continue;
            if (entry.error !== undefined)
              settle[i]!.reject(new Error(`script failed in WebKit: ${entry.error}`));
            else settle[i]!.resolve(entry.value as R);
          }
          if (pending.size > 0 && Date.now() > deadline)
            failAll(new Error('script gave no result within 60 s (the page navigated away?)'));
        }
      })().catch((error: unknown) => failAll(error instanceof Error ? error : new Error(String(error))));
      return settle.map((s) => s.promise);
    },
  };
}

function webkitPage(session: Session, handle: string): EnginePage {
  return {
    ...webkitTarget(session, handle),
    consoleLines: [],
    async frame(name) {
      const target = webkitTarget(session, handle, name);
      // Wait until the frame's document runs scripts.
      await target.evaluate(() => document.readyState, undefined);
      return target;
    },
    // WebKitGTK's WebDriver screenshot hangs MiniBrowser under Xvfb and the driver then drops the
    // session: a failing WebKit row keeps its observation and what the servers saw, no picture.
    async screenshot() {},
    async close() {
      await session.inWindow(handle, async () => {
        await session.command('DELETE', '/window');
        session.forget(handle);
      });
    },
  };
}

interface Driver {
  readonly process: ChildProcess;
  readonly base: string;
  readonly stderr: string[];
}

/**
 * The suite's host names, for WebKit alone: the driver and the browser run in a mount namespace
 * of their own where /etc/hosts is a copy with every test host on 127.0.0.1 (nothing outside it
 * sees the change). The WebDriver `proxy` capability cannot serve here: WebKitGTK reaches an
 * `sslProxy` over TLS and accepts no self-signed certificate for it, so https pages would fail.
 */
function hostsFile(dir: string): string {
  const path = join(dir, 'hosts');
  const system = readFileSync('/etc/hosts', 'utf8');
  writeFileSync(
    path,
    `${system}\n# the browser suite (test/browser/_webkit.ts)\n127.0.0.1 ${TEST_HOSTS.join(' ')}\n`,
  );
  return path;
}

async function startDriver(dir: string): Promise<Driver> {
  const port = await freePort();
  const stderr: string[] = [];
  const driver = `exec xvfb-run -a -s '-screen 0 1280x1024x24' WebKitWebDriver --host=127.0.0.1 --port=${port}`;
  // detached: unshare (exec'd into sh, then xvfb-run), Xvfb, WebKitWebDriver and MiniBrowser
  // share a process group the suite ends by its id when it is done.
  const proc = spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      `mount --bind "$0" /etc/hosts && ${driver}`,
      hostsFile(dir),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`WebKitWebDriver exited with ${proc.exitCode}: ${stderr.join('')}`);
    const ready = await fetch(`${base}/status`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) return { process: proc, base, stderr };
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not listen: ${stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopDriver(driver: Driver): void {
  if (driver.process.pid !== undefined && driver.process.exitCode === null) {
    try {
      process.kill(-driver.process.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

async function newSession(driver: Driver, binary: string): Promise<Session> {
  const response = await withTimeout(
    'creating a WebKitWebDriver session (it hangs without a display)',
    45_000,
    fetch(`${driver.base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        capabilities: {
          alwaysMatch: {
            acceptInsecureCerts: true,
            'webkitgtk:browserOptions': { binary, args: ['--automation'] },
          },
        },
      }),
    }),
  );
  const answer = (await response.json()) as {
    value: { sessionId?: string; capabilities?: { browserVersion?: string } };
  };
  if (answer.value.sessionId === undefined)
    throw new Error(`WebKitWebDriver refused the session: ${JSON.stringify(answer.value)}`);
  return new Session(driver.base, answer.value.sessionId, answer.value.capabilities?.browserVersion ?? '?');
}

/** WebKit as an `Engine`: one MiniBrowser; pages are its windows, which share one cookie jar. */
export async function webkitEngine(_tls: Tls): Promise<Engine> {
  const binary = ensureWebKit();
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-webkit-'));
  const driver = await startDriver(dir);
  let session: Session;
  try {
    session = await newSession(driver, binary);
  } catch (error) {
    stopDriver(driver);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${driver.stderr.join('')}`);
  }
  const home = ((await session.command('GET', '/window/handles')) as string[])[0]!;
  const ua = await webkitTarget(session, home).evaluate(() => navigator.userAgent, undefined);
  return {
    name: 'webkit',
    label: 'WebKit',
    version: `WebKitGTK ${session.browserVersion} (Debian webkit2gtk-driver, MiniBrowser: ${ua}; WebDriver classic)`,
    model: 'safari',
    console: false,
    isolatedContexts: false,
    async newContext(): Promise<EngineContext> {
      const pages = new Set<EnginePage>();
      return {
        async open(url) {
          // From the first window, which stays open: a new window needs a current one.
          const { handle } = (await session.inWindow(home, () =>
            session.command('POST', '/window/new', { type: 'tab' }),
          )) as { handle: string };
          await session.inWindow(handle, () => session.command('POST', '/url', { url }));
          const page = webkitPage(session, handle);
          pages.add(page);
          return { ...page, close: async () => (pages.delete(page) ? page.close() : undefined) };
        },
        async close() {
          for (const page of [...pages]) await page.close();
          pages.clear();
        },
      };
    },
    async close() {
      await session.command('DELETE', '').catch(() => {});
      // What the driver and MiniBrowser said, for a failing run.
      mkdirSync(join(ARTEFACTS, 'webkit'), { recursive: true });
      writeFileSync(join(ARTEFACTS, 'webkit', 'driver.log'), driver.stderr.join(''));
      stopDriver(driver);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
