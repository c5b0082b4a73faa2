/**
 * What the console shows is true, one rule for versions, and bodies bounded before the token
 * (docs/console.md "Notices", "Writes", "Security"), tried through the spawned gateway the way an
 * attacker or an unlucky operator would: crafted links, a carriage return smuggled into a comment,
 * a malformed If-Match on every write path, a candidate staged after the traffic it would break,
 * and concurrent anonymous uploads over raw sockets.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  rssKiB,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
} from '../helpers.js';

const APP = 'https://app.example.com';
const TOKEN = 'truth-secret-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${TOKEN}` };

let upstream: Upstream;
let gateway: Gateway;
let tmp: TempDir;
let list: string;

// biome-ignore lint/suspicious/noExplicitAny: admin JSON is read field by field in each test
type Json = any;

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; redirect?: 'manual' } = {},
): Promise<{ status: number; headers: Headers; text: string; json: Json }> {
  const res = await fetch(`${gateway.adminUrl}${path}`, init);
  const text = await res.text();
  let json: Json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* a page */
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Signs in at the console's form; returns the session cookie. */
async function signIn(): Promise<string> {
  const res = await call('/console/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: TOKEN }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** A console form post with the session cookie, as the browser sends it (same origin). */
function form(path: string, cookie: string, fields: Record<string, string>) {
  return call(path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: cookie,
      Origin: gateway.adminUrl,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

/** Whether the gateway lets a script from `origin` read its answer (Access-Control-Allow-Origin). */
async function allowed(origin: string): Promise<boolean> {
  const res = await fetch(`${gateway.url}/items`, { headers: { Origin: origin } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin') === origin;
}

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  list = tmp.file('allowed_origins.list', `# callers\n${APP}\n`);
  const tokens = tmp.file('tokens', `ops:${TOKEN}\n`);
  gateway = await startGateway([
    '--upstream',
    upstream.url,
    '--allowlist',
    list,
    '--admin-token-file',
    tokens,
  ]);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  tmp?.remove();
});

describe('notices come from the server’s own answer', () => {
  it('announces nothing for a crafted link: /?done=add&origin=… and a made-up notice id', async () => {
    const cookie = await signIn();
    for (const path of [
      '/?done=add&origin=https%3A%2F%2Fevil.example&version=9',
      '/?notice=AAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const page = await call(path, { headers: { Cookie: cookie } });
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('Allowed');
      expect(page.text).not.toContain('evil.example');
      expect(page.text).not.toContain('id="notice"');
    }
    expect(readFileSync(list, 'utf8')).not.toContain('evil.example');
  });

  it('shows the notice of a real change once, to the session that made it, and lands on it', async () => {
    const cookie = await signIn();
    const added = await form('/console/add', cookie, {
      origin: 'https://notice.example.com',
      from: 'denied',
    });
    expect(added.status).toBe(303);
    const location = added.headers.get('location')!;
    expect(location).toMatch(/^\/\?notice=[A-Za-z0-9_-]+#notice$/);
    expect(location).not.toContain('notice.example.com');
    // Another client with the same link (no session, or another session) sees nothing.
    expect((await call(location)).text).not.toContain('Allowed');
    const other = await signIn();
    expect((await call(location, { headers: { Cookie: other } })).text).not.toContain('Allowed');
    const page = await call(location, { headers: { Cookie: cookie } });
    expect(page.text).toMatch(
      /id="notice"[^>]*role="status"[^>]*><p>Allowed https:\/\/notice\.example\.com: version \d+ is in force/,
    );
    // Once: a reload shows the page without it.
    expect((await call(location, { headers: { Cookie: cookie } })).text).not.toContain('Allowed');
  });
});

describe('every stored line is shown as data', () => {
  it('shows a comment with a lone CR escaped in the audit view and the list, never as an added origin', async () => {
    const before = (await call('/allowlist')).json.version;
    const text = `${readFileSync(list, 'utf8')}# note\r+ https://smuggled.example\n`;
    const put = await call('/allowlist', {
      method: 'PUT',
      headers: { ...AUTH, 'If-Match': `"${before}"` },
      body: text,
    });
    expect(put.status).toBe(200);
    expect(put.json.added).toEqual(['# note\r+ https://smuggled.example']);
    const page = await call('/', { headers: AUTH });
    // The one stored line is one item, its CR shown as a marked code point.
    expect(page.text).toContain(
      '<li><code>+ # note<span class="ctl">\\u000D</span>+ https://smuggled.example</code></li>',
    );
    expect(page.text).toContain(
      '<code># note<span class="ctl">\\u000D</span>+ https://smuggled.example</code>',
    );
    expect(page.text).not.toContain('\r');
    expect(page.text).not.toMatch(/<li><code>\+ https:\/\/smuggled\.example/);
    // In the edit box the CR is a character reference, so saving the box keeps it one line.
    expect(page.text).toContain('# note&#13;+ https://smuggled.example');
    expect(await allowed('https://smuggled.example')).toBe(false);
  });
});

describe('one rule for versions', () => {
  it('refuses a malformed If-Match with 400 on a write and on POST /candidate/promote, writing nothing', async () => {
    const before = readFileSync(list, 'utf8');
    const write = await call('/allowlist/origins', {
      method: 'POST',
      headers: { ...AUTH, 'If-Match': 'seven' },
      body: JSON.stringify({ origin: 'https://if-match.example.com' }),
    });
    expect(write.status).toBe(400);
    expect(write.json.code).toBe('CG_GATEWAY_ADMIN_BAD_REQUEST');
    const staged = await call('/candidate', {
      method: 'PUT',
      headers: AUTH,
      body: `${APP}\nhttps://promoted.example.com\n`,
    });
    expect(staged.status).toBe(200);
    const promote = await call('/candidate/promote', {
      method: 'POST',
      headers: { ...AUTH, 'If-Match': 'seven' },
    });
    expect(promote.status).toBe(400);
    expect(promote.json).toMatchObject({ code: 'CG_GATEWAY_ADMIN_BAD_REQUEST', error: write.json.error });
    expect(readFileSync(list, 'utf8')).toBe(before);
    await call('/candidate', { method: 'DELETE', headers: AUTH });
  });

  it('refuses a malformed version from the console form the same way', async () => {
    const cookie = await signIn();
    const before = readFileSync(list, 'utf8');
    const res = await form('/console/add', cookie, {
      origin: 'https://form-version.example.com',
      version: 'seven',
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('must be a version');
    expect(readFileSync(list, 'utf8')).toBe(before);
  });
});

describe('a candidate is judged over the traffic already seen', () => {
  it('lists an origin it drops that was seen before it was staged', async () => {
    expect(await allowed(APP)).toBe(true);
    expect(await allowed('https://never-listed.example.com')).toBe(false);
    const staged = await call('/candidate', {
      method: 'PUT',
      headers: AUTH,
      body: 'https://other.example.com\n',
    });
    expect(staged.status).toBe(200);
    const c = (await call('/candidate')).json;
    expect(c.differences).toContainEqual(
      expect.objectContaining({ origin: APP, inForce: 'allowed', candidate: 'refused', seenBefore: true }),
    );
    const page = await call('/', { headers: AUTH });
    expect(page.text).not.toContain('would be decided differently');
    await call('/candidate', { method: 'DELETE', headers: AUTH });
  });
});

/** One raw upload: headers, then up to `bytes` of body as fast as the listener reads; its status line or how it ended. */
function rawUpload(port: number, head: string, bytes: number): Promise<{ status: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answer = '';
    const timer = setTimeout(() => finish('timeout'), 20_000);
    const finish = (how: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? how, sent });
    };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (/\r\n\r\n/.test(answer)) finish('answered');
    });
    socket.on('close', () => finish('closed'));
    socket.on('error', () => finish('reset'));
    socket.on('connect', () => {
      socket.write(head);
      const pump = (): void => {
        while (sent < bytes && !socket.destroyed) {
          sent += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

describe('bodies before the token are small', () => {
  const port = () => Number(new URL(gateway.adminUrl).port);
  const SIXTEEN_MIB = 16 * 1024 * 1024;

  it('answers 64 concurrent anonymous 16 MiB sign-in uploads 413 before taking their bodies, memory bounded', async () => {
    const rssBefore = await rssKiB(gateway.pid);
    const head = `POST /console/sign-in HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${SIXTEEN_MIB}\r\n\r\ntoken=`;
    const results = await Promise.all(Array.from({ length: 64 }, () => rawUpload(port(), head, SIXTEEN_MIB)));
    for (const r of results) expect(['413', 'closed', 'reset']).toContain(r.status);
    expect(results.filter((r) => r.status === '413').length).toBeGreaterThan(0);
    // Not the 1 GiB offered: the listener stopped reading each upload at once.
    const rssAfter = await rssKiB(gateway.pid);
    expect(rssAfter - rssBefore).toBeLessThan(64 * 1024);
  });

  it('answers a chunked anonymous upload 413 once it passes 8 KiB, and any other anonymous post 401 unread', async () => {
    const chunked = await rawUpload(
      port(),
      `POST /console/sign-in HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n`,
      SIXTEEN_MIB,
    );
    expect(['413', 'closed', 'reset']).toContain(chunked.status);
    const write = await rawUpload(
      port(),
      `POST /console/add HTTP/1.1\r\nHost: 127.0.0.1:${port()}\r\nContent-Length: ${SIXTEEN_MIB}\r\n\r\n`,
      SIXTEEN_MIB,
    );
    expect(['401', 'closed', 'reset']).toContain(write.status);
  });

  it('takes a large body once the token is given: a 20,000-line list', async () => {
    const version = (await call('/allowlist')).json.version;
    const lines = Array.from({ length: 20_000 }, (_, i) => `https://big${i}.example.com`);
    const put = await call('/allowlist', {
      method: 'PUT',
      headers: { ...AUTH, 'If-Match': `"${version}"` },
      body: `${APP}\n${lines.join('\n')}\n`,
    });
    expect(put.status).toBe(200);
    const page = await call('/?lines=19990', { headers: AUTH });
    expect(page.text).toContain('Lines 19990–20001 of 20001');
    expect(page.text).toContain('too long to edit in this page');
  });
});
