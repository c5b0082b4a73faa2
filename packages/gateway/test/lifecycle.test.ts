/** Shutdown and load, black-box: SIGTERM drains, big bodies stream, many connections, reloads under load. */
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  rssKiB,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const APP = 'https://app.example.com';
/**
 * A proxy that buffers a 100 MB body grows by at least 100 MB. A streaming one grows by its socket
 * buffers plus the chunk garbage V8 has not collected yet, which on a loaded machine reached ~64 MB.
 */
const MAX_GROWTH_KIB = 80 * 1024;

let upstream: Upstream;
let tmp: TempDir;

beforeAll(async () => {
  upstream = await startUpstream();
  tmp = tempDir();
  tmp.file('allowed_origins.list', `${APP}\n`);
});

afterAll(async () => {
  await upstream?.close();
  tmp?.remove();
});

function gatewayArgs(extra: string[] = []): string[] {
  return ['--upstream', upstream.url, '--allowlist', `${tmp.dir}/allowed_origins.list`, ...extra];
}

describe('SIGTERM', () => {
  it('stops accepting, finishes the in-flight request, and exits 0', async () => {
    const gw = await startGateway(gatewayArgs(), { admin: false });
    const inflight = fetch(`${gw.url}/slow?ms=800`, { headers: { Origin: APP } });
    await waitFor(
      () => upstream.received.some((r) => r.url === '/slow?ms=800'),
      5000,
      'the request to reach the upstream',
    );
    gw.proc.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(await res.json()).toEqual({ slow: true });
    expect(await gw.exited).toBe(0);
    await expect(fetch(`${gw.url}/after`)).rejects.toThrow();
  });

  it('bounds the drain: a request that never finishes is cut at shutdownTimeoutMs and the process still exits 0', async () => {
    tmp.file('short.yaml', `shutdownTimeoutMs: 500\nallowlist: allowed_origins.list\n`);
    const gw = await startGateway(['--config', `${tmp.dir}/short.yaml`, '--upstream', upstream.url], {
      admin: false,
    });
    const inflight = fetch(`${gw.url}/hang`).catch((e: unknown) => e);
    await waitFor(
      () => upstream.received.filter((r) => r.url === '/hang').length > 0,
      5000,
      'the hanging request',
    );
    const t0 = Date.now();
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await inflight).toBeInstanceOf(Error);
  });
});

describe('streaming and load', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway(gatewayArgs(['--methods', 'PUT']), { admin: false });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('streams a 100 MB request body to the upstream with bounded gateway memory', async () => {
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 98);
    const rssBefore = await rssKiB(gw.pid);
    let peak = rssBefore;
    const sampler = setInterval(() => {
      void rssKiB(gw.pid).then((r) => {
        peak = Math.max(peak, r);
      });
    }, 25);
    const body = (async function* () {
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
    })();
    const res = await request(`${gw.url}/upload`, {
      method: 'PUT',
      headers: { origin: APP, 'content-length': String(total) },
      body,
    });
    const json = (await res.body.json()) as { bytes: number };
    clearInterval(sampler);
    expect(res.statusCode).toBe(200);
    expect(json.bytes).toBe(total);
    expect(peak - rssBefore).toBeLessThan(MAX_GROWTH_KIB);
  });

  it('streams a 100 MB response body to a slow reader with bounded gateway memory', async () => {
    const rssBefore = await rssKiB(gw.pid);
    let peak = rssBefore;
    const sampler = setInterval(() => {
      void rssKiB(gw.pid).then((r) => {
        peak = Math.max(peak, r);
      });
    }, 25);
    const res = await request(`${gw.url}/download?mb=100`, { headers: { origin: APP } });
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    let received = 0;
    let n = 0;
    for await (const c of res.body) {
      received += (c as Buffer).length;
      // A slow reader: the gateway must apply back-pressure, not buffer.
      if (++n % 8 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    clearInterval(sampler);
    expect(received).toBe(100 * 1024 * 1024);
    expect(peak - rssBefore).toBeLessThan(MAX_GROWTH_KIB);
  });

  it('serves 1,000 concurrent connections, every one answered 200 with the CORS headers', async () => {
    const statuses = await Promise.all(
      Array.from(
        { length: 1000 },
        (_, i) =>
          new Promise<string>((resolve) => {
            const socket = connect(gw.port, '127.0.0.1');
            let text = '';
            socket.setEncoding('latin1');
            socket.on('data', (c: string) => (text += c));
            socket.on('error', (e) => resolve(`error ${e.message}`));
            socket.on('close', () => resolve(text));
            socket.setTimeout(30_000, () => socket.destroy());
            socket.on('connect', () =>
              socket.write(
                `GET /conn-${i} HTTP/1.1\r\nHost: api.test\r\nOrigin: ${APP}\r\nConnection: close\r\n\r\n`,
              ),
            );
          }),
      ),
    );
    const ok = statuses.filter(
      (t) => t.startsWith('HTTP/1.1 200') && t.includes(`Access-Control-Allow-Origin: ${APP}`),
    );
    expect(ok.length).toBe(1000);
  }, 60_000);
});

describe('allowlist rewritten under load', () => {
  it('serves with zero failed requests while the allowlist is rewritten 200 times, every response matching a version in force', async () => {
    const O1 = 'https://one.example.com';
    const O2 = 'https://two.example.com';
    const BOTH = 'https://both.example.com';
    const NEVER = 'https://never.example.com';
    const t = tempDir();
    const contents = [`${O1}\n${BOTH}\n`, `${O2}\n${BOTH}\n`];
    t.file('list', contents[0]!);
    const gw = await startGateway(['--upstream', upstream.url, '--allowlist', `${t.dir}/list`]);
    const agent = new Agent({ connections: 16 });
    try {
      // Which content may be in force: writes[k] = when content k%2 was written; observed[k] = when
      // the admin API first showed it. A version may decide requests from its write until the next
      // version is observed applied.
      const written: number[] = [0];
      const observed: number[] = [0];
      const hashOf = async (): Promise<string> =>
        ((await (await fetch(`${gw.adminUrl}/allowlist`)).json()) as { hash: string }).hash;
      const hashes = [await hashOf(), ''];
      let stop = false;
      const failures: string[] = [];
      let checked = 0;
      const mayAllow = (origin: string, start: number, end: number): Set<boolean> => {
        const out = new Set<boolean>();
        for (let k = 0; k < written.length; k++) {
          const from = written[k]!;
          const until = observed[k + 1] ?? Number.POSITIVE_INFINITY;
          if (from <= end && until >= start) {
            const allows =
              origin === BOTH || (origin === O1 ? k % 2 === 0 : origin === O2 ? k % 2 === 1 : false);
            out.add(allows);
          }
        }
        return out;
      };
      const client = async (id: number): Promise<void> => {
        const origins = [O1, O2, BOTH, NEVER];
        let i = id;
        while (!stop) {
          const origin = origins[i++ % origins.length]!;
          const start = Date.now();
          try {
            const r = await request(`${gw.url}/load`, { headers: { origin }, dispatcher: agent });
            await r.body.dump();
            const end = Date.now();
            const acao = r.headers['access-control-allow-origin'];
            if (r.statusCode !== 200) failures.push(`status ${r.statusCode}`);
            const possible = mayAllow(origin, start, end);
            const allowed = acao === origin;
            if (acao !== undefined && acao !== origin) failures.push(`ACAO ${String(acao)} for ${origin}`);
            if (!possible.has(allowed))
              failures.push(`${origin} ${allowed ? 'allowed' : 'refused'} outside any version in force`);
            checked++;
          } catch (e) {
            failures.push(`request failed: ${(e as Error).message}`);
          }
        }
      };
      const clients = Array.from({ length: 8 }, (_, i) => client(i));
      const deadline = Date.now() + 60_000;
      for (let k = 1; k <= 200 && Date.now() < deadline; k++) {
        written.push(Date.now());
        t.atomic('list', contents[k % 2]!);
        if (hashes[k % 2] === '') {
          await waitFor(async () => (await hashOf()) !== hashes[0], 5000, `version ${k}`);
          hashes[1] = await hashOf();
        } else await waitFor(async () => (await hashOf()) === hashes[k % 2], 5000, `version ${k}`);
        observed.push(Date.now());
      }
      stop = true;
      await Promise.all(clients);
      expect(written.length).toBe(201);
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(200);
      const a = (await (await fetch(`${gw.adminUrl}/allowlist`)).json()) as { version: number };
      expect(a.version).toBe(201);
    } finally {
      await agent.close();
      await gw.stop();
      t.remove();
    }
  }, 90_000);
});
