/**
 * issue 23's proof for `corsgate explain --message`: every failure class the browsers can produce
 * here is produced for real, its console message captured from the engine (Chromium's console
 * events over the DevTools protocol, Firefox's page errors over WebDriver BiDi, both through
 * puppeteer-core), fed to `corsgate explain --message`, its class checked; then the corsgate fix
 * the diagnosis gives (the allowlist line, the flags) is applied to a real `corsgate serve` (the
 * gateway's own allowlist appended, or a restart with the flags; for a server that is not corsgate,
 * a gateway so configured takes over the page's URL), and the same request in the same page
 * succeeds. WebKit's WebDriver does not expose
 * console text: its wording comes from WebKit's source (fixtures/webkit-console.txt, cited) and is
 * checked here without a browser. One browser per engine; every case runs concurrently.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassId } from '../../packages/gateway/src/catalogue/classes.js';
import { main } from '../../packages/gateway/src/cli/main.js';
import type { Diagnosis } from '../../packages/gateway/src/explain/diagnose.js';
import {
  type Gateway,
  startGateway,
  type TempDir,
  tempDir,
  waitFor,
} from '../../packages/gateway/test/helpers.js';
import { ensureChromium } from './_chromium.js';
import { withTimeout } from './_engine.js';
import { ensureFirefox } from './_firefox.js';
import { closeServer, listen } from './_servers.js';

type Captured = 'chromium' | 'firefox';
const ENGINES: readonly Captured[] = ['chromium', 'firefox'];

interface Request {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly credentials?: boolean;
}

/** A server that answers the way the class needs, or a corsgate gateway configured short of it. */
type Before =
  | { readonly gateway: 'unlisted' | 'no-credentials' }
  | { readonly answer: (req: IncomingMessage, res: ServerResponse, origin: string) => void };

interface Case {
  readonly name: string;
  readonly classId: ClassId;
  readonly request: Request;
  readonly before: Before;
}

const OTHER = 'https://someone-else.example';
const preflightOnly =
  (preflight: (res: ServerResponse, origin: string) => void) =>
  (req: IncomingMessage, res: ServerResponse, origin: string) => {
    if (req.method === 'OPTIONS') return preflight(res, origin);
    res.writeHead(200, { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' }).end('ok');
  };

const CASES: readonly Case[] = [
  { name: 'origin-not-allowed', classId: 'acao-missing', request: {}, before: { gateway: 'unlisted' } },
  {
    name: 'credentials-not-allowed',
    classId: 'credentials-not-allowed',
    request: { credentials: true },
    before: { gateway: 'no-credentials' },
  },
  {
    name: 'acao-mismatch',
    classId: 'acao-mismatch',
    request: {},
    before: { answer: (_q, res) => res.writeHead(200, { 'Access-Control-Allow-Origin': OTHER }).end('ok') },
  },
  {
    name: 'acao-duplicate',
    classId: 'acao-duplicate',
    request: {},
    before: {
      answer: (_q, res, o) => res.writeHead(200, { 'Access-Control-Allow-Origin': [o, o] }).end('ok'),
    },
  },
  {
    name: 'wildcard-with-credentials',
    classId: 'wildcard-with-credentials',
    request: { credentials: true },
    before: {
      answer: (_q, res) =>
        res
          .writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true' })
          .end('ok'),
    },
  },
  {
    name: 'method-not-allowed',
    classId: 'method-not-allowed',
    request: { method: 'PUT' },
    before: {
      answer: preflightOnly((res, o) =>
        res
          .writeHead(204, { 'Access-Control-Allow-Origin': o, 'Access-Control-Allow-Methods': 'GET, POST' })
          .end(),
      ),
    },
  },
  {
    name: 'header-not-allowed',
    classId: 'header-not-allowed',
    request: { headers: { 'X-Token': 'abc' } },
    before: {
      answer: preflightOnly((res, o) => res.writeHead(204, { 'Access-Control-Allow-Origin': o }).end()),
    },
  },
  {
    name: 'preflight-status',
    classId: 'preflight-status',
    request: { method: 'PUT' },
    before: {
      answer: preflightOnly((res, o) => res.writeHead(405, { 'Access-Control-Allow-Origin': o }).end()),
    },
  },
  {
    name: 'preflight-redirect',
    classId: 'preflight-redirect',
    request: { method: 'PUT' },
    before: {
      answer: preflightOnly((res, o) =>
        res.writeHead(307, { 'Access-Control-Allow-Origin': o, Location: '/elsewhere' }).end(),
      ),
    },
  },
];

/** One engine's page and the CORS messages it has reported so far. */
interface Tab {
  readonly engine: Captured;
  readonly browser: Browser;
  readonly page: Page;
  readonly messages: string[];
  readonly arrived: Set<() => void>;
}

async function openTab(engine: Captured, pageUrl: string): Promise<Tab> {
  const browser = await withTimeout(
    `launching ${engine}`,
    60_000,
    engine === 'chromium'
      ? puppeteer.launch({
          browser: 'chrome',
          executablePath: ensureChromium(),
          headless: true,
          args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        })
      : puppeteer.launch({ browser: 'firefox', executablePath: ensureFirefox(), headless: true }),
  );
  const page = await browser.newPage();
  const tab: Tab = { engine, browser, page, messages: [], arrived: new Set() };
  const keep = (text: string) => {
    tab.messages.push(text);
    for (const wake of tab.arrived) wake();
  };
  // Chromium logs CORS failures as console messages; Firefox ESR reports them as page errors.
  page.on('console', (m) => keep(m.text()));
  page.on('pageerror', (e) => keep(e instanceof Error ? e.message : String(e)));
  await page.goto(pageUrl);
  return tab;
}

/** The first CORS message naming `url`, waiting for it (it may come after fetch rejects). */
function messageFor(tab: Tab, url: string): Promise<string> {
  const find = () => tab.messages.find((m) => m.includes(url) && /CORS|Cross-Origin/.test(m));
  return withTimeout(
    `${tab.engine}'s message for ${url}`,
    10_000,
    new Promise<string>((resolve) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        tab.arrived.delete(check);
        resolve(found);
      };
      tab.arrived.add(check);
      check();
    }),
  );
}

type Outcome = { ok: true; status: number; body: string } | { ok: false; error: string };

function send(tab: Tab, url: string, req: Request): Promise<Outcome> {
  return tab.page.evaluate(
    async (u, r) => {
      try {
        const res = await fetch(u, {
          method: r.method ?? 'GET',
          headers: r.headers ?? {},
          credentials: r.credentials === true ? 'include' : 'same-origin',
          cache: 'no-store',
        });
        return { ok: true as const, status: res.status, body: await res.text() };
      } catch (e) {
        return { ok: false as const, error: String(e) };
      }
    },
    url,
    req,
  );
}

/** `corsgate explain --message TEXT --json` (the command itself, in this process). */
/** The corsgate fix of a CORS class's diagnosis (only not-CORS look-alikes have none). */
function fixOf(d: Diagnosis): NonNullable<Diagnosis['fix']> {
  if (d.fix === null) throw new Error(`explain proposed no corsgate fix for ${d.classId ?? 'a look-alike'}`);
  return d.fix;
}

async function explainMessage(text: string, extra: string[] = []): Promise<Diagnosis> {
  let out = '';
  const io = {
    stdout: { write: (c: string) => (out += c) },
    stderr: { write: () => true },
    env: {},
    cwd: process.cwd(),
  };
  const code = await main(['explain', '--message', text, '--json', ...extra], io);
  expect(code, `${text}\n${out}`).toBe(0);
  return JSON.parse(out) as Diagnosis;
}

let app: Server;
let appPort: number;
let pageServer: Server;
let pageOrigin: string;
let tabs: Tab[] = [];
const dirs: TempDir[] = [];
const gateways: Gateway[] = [];
const doors: NetServer[] = [];
const befores = new Map<string, Promise<{ port: number; apply: (d: Diagnosis) => Promise<void> }>>();

beforeAll(async () => {
  app = createServer((_req, res) => res.end('ok'));
  appPort = await listen(app);
  pageServer = createServer((_req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>page</title>'),
  );
  pageOrigin = `http://127.0.0.1:${await listen(pageServer)}`;
  // The failing servers start while the browsers launch.
  for (const c of CASES) befores.set(c.name, startBefore(c));
  tabs = await Promise.all(ENGINES.map((e) => openTab(e, `${pageOrigin}/`)));
  await Promise.all(befores.values());
});

afterAll(async () => {
  await Promise.allSettled(tabs.map((t) => t.browser.close()));
  for (const d of doors) d.close();
  await Promise.allSettled(gateways.map((g) => g.stop('SIGKILL')));
  await Promise.allSettled([closeServer(app), closeServer(pageServer)]);
  for (const d of dirs) d.remove();
});

/** `corsgate serve` on `port`, in front of the plain app, with this allowlist and these flags. */
async function serveOn(port: number, allowlist: string, flags: readonly string[]): Promise<Gateway> {
  const args = flags.flatMap((f) => f.split(' '));
  const g = await startGateway(
    ['--upstream', `http://127.0.0.1:${appPort}`, '--allowlist', allowlist, ...args, '--port', String(port)],
    { admin: false },
  );
  gateways.push(g);
  return g;
}

/** Starts the failing server; returns its port and how to apply a diagnosis's corsgate fix. */
async function startBefore(c: Case): Promise<{ port: number; apply: (d: Diagnosis) => Promise<void> }> {
  const dir = tempDir();
  dirs.push(dir);
  if ('gateway' in c.before) {
    const allowlist = dir.file(
      'origins.list',
      c.before.gateway === 'unlisted' ? `${OTHER}\n` : `${pageOrigin}\n`,
    );
    let g = await startGateway(['--upstream', `http://127.0.0.1:${appPort}`, '--allowlist', allowlist], {
      admin: false,
    });
    gateways.push(g);
    const port = g.port;
    return {
      port,
      apply: async (d) => {
        const fix = fixOf(d);
        if (!readFileSync(allowlist, 'utf8').split('\n').includes(fix.allowlistLine)) {
          const applied = () => g.logs.filter((l) => l['event'] === 'allowlist-applied').length;
          const before = applied();
          appendFileSync(allowlist, `${fix.allowlistLine}\n`);
          await waitFor(() => applied() > before, 10_000, 'the gateway to apply the new allowlist');
        }
        if (fix.flags.length > 0) {
          // A restart with the flag: the old process killed outright, so the port is free at once.
          await g.stop('SIGKILL');
          g = await serveOn(port, allowlist, fix.flags);
        }
      },
    };
  }
  const answer = c.before.answer;
  const server = createServer((req, res) => answer(req, res, pageOrigin));
  const door = await frontDoor(await listen(server));
  return {
    port: door.port,
    apply: async (d) => {
      // The page's URL stays the same: its port now leads to corsgate, configured as the fix says.
      const fix = fixOf(d);
      door.switchTo((await sharedGateway(fix.allowlistLine, fix.flags)).port);
      await closeServer(server);
    },
  };
}

/**
 * A loopback TCP forwarder: the URL the page uses, in front of the failing server and then of
 * the gateway the fix configures. Switching drops the open connections, as a redeploy does.
 */
async function frontDoor(target: number): Promise<{ port: number; switchTo(port: number): void }> {
  let to = target;
  const open = new Set<Socket>();
  const server = createNetServer((client) => {
    const upstream = connect(to, '127.0.0.1');
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  doors.push(server);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    port,
    switchTo(next) {
      to = next;
      for (const s of open) s.destroy();
    },
  };
}

/** One gateway per corsgate configuration the diagnoses give (several cases share a fix). */
const shared = new Map<string, Promise<Gateway>>();
function sharedGateway(line: string, flags: readonly string[]): Promise<Gateway> {
  const key = `${line} ${[...flags].sort().join(' ')}`;
  let g = shared.get(key);
  if (g === undefined) {
    const dir = tempDir();
    dirs.push(dir);
    g = serveOn(0, dir.file('origins.list', `${line}\n`), flags);
    shared.set(key, g);
  }
  return g;
}

/** What a message does not say, as the flags `explain` asked for, with this case's values. */
function answerNeeds(d: Diagnosis, c: Case): string[] {
  return d.needs.flatMap((n) => [n.flag, n.fact === 'origin' ? pageOrigin : (c.request.method ?? 'GET')]);
}

describe.concurrent('a console message captured from a real engine gets its class and a fix that works', () => {
  it.each(CASES)(
    '$name: each engine blocks, explain names $classId, the corsgate fix applied makes the same request succeed',
    async (c) => {
      const before = await befores.get(c.name)!;
      const url = `http://127.0.0.1:${before.port}/api/${c.name}`;
      const diagnoses = await Promise.all(
        tabs.map(async (tab) => {
          const outcome = await send(tab, url, c.request);
          expect(outcome.ok, `${tab.engine} should block ${c.name}`).toBe(false);
          const message = await messageFor(tab, url);
          const first = await explainMessage(message);
          expect(first.engine, message).toBe(tab.engine);
          expect(first.classId, message).toBe(c.classId);
          // Chromium names the page origin; Firefox never does, and explain asks for it.
          if (tab.engine === 'chromium')
            expect(
              first.needs.map((n) => n.fact),
              message,
            ).not.toContain('origin');
          else
            expect(
              first.needs.map((n) => n.fact),
              message,
            ).toContain('origin');
          const d = first.needs.length === 0 ? first : await explainMessage(message, answerNeeds(first, c));
          expect(d.needs).toEqual([]);
          return d;
        }),
      );
      // Both engines lead to the same corsgate change.
      const [first, second] = [fixOf(diagnoses[0]!), fixOf(diagnoses[1]!)];
      expect(second.allowlistLine).toBe(first.allowlistLine);
      expect([...second.flags].sort()).toEqual([...first.flags].sort());
      await before.apply(diagnoses[0]!);
      for (const tab of tabs) {
        const after = await send(tab, url, c.request);
        expect(after, `${tab.engine} after the fix`).toEqual({ ok: true, status: 200, body: 'ok' });
      }
    },
  );
});

describe("WebKit's wording, from its source (WebDriver classic exposes no console text)", () => {
  const fixture = readFileSync(join(import.meta.dirname, 'fixtures/webkit-console.txt'), 'utf8');
  const rows = fixture
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split('\t') as [ClassId, string]);
  it.each(rows)("explain reads WebKit's %s wording as that class, with the fix", async (classId, wording) => {
    const values: Record<string, string> = {
      origin: 'http://app.test:3000',
      url: 'http://api.test:8080/items',
      method: 'PUT',
      header: 'X-Token',
      status: classId === 'preflight-status' ? '405' : '200',
    };
    const text = wording.replaceAll('\\n', '\n').replace(/\$\{(\w+)\}/g, (_m, k: string) => values[k]!);
    const d = await explainMessage(text, ['--origin', 'http://app.test:3000', '--method', 'PUT']);
    expect(d.engine).toBe('webkit');
    expect(d.classId).toBe(classId);
    expect(fixOf(d).allowlistLine).toBe('http://app.test:3000');
  });
});
