/** --workers (node:cluster) and the TLS listener, black-box. */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startUpstream, type TempDir, tempDir, type Upstream, waitFor } from './helpers.js';

const APP = 'https://app.example.com';
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

describe('--workers 2', () => {
  it('serves from two processes sharing the port, aggregates metrics, reloads every worker, and drains on SIGTERM', async () => {
    const gw = await startGateway([
      '--upstream',
      upstream.url,
      '--allowlist',
      `${tmp.dir}/allowed_origins.list`,
      '--workers',
      '2',
    ]);
    try {
      const workerPids = new Set(
        gw.logs.filter((l) => l['event'] === 'worker-listening').map((l) => l['pid']),
      );
      expect(workerPids.size).toBe(2);
      expect((await fetch(`${gw.adminUrl}/ready`)).status).toBe(200);

      const agent = new Agent({ connections: 8, pipelining: 0 });
      for (let i = 0; i < 40; i++) {
        const r = await request(`${gw.url}/w`, {
          headers: { origin: i % 2 === 0 ? APP : 'https://evil.test' },
          method: i % 2 === 0 ? 'GET' : 'POST',
          dispatcher: agent,
        });
        await r.body.dump();
        expect(r.statusCode).toBe(i % 2 === 0 ? 200 : 403);
        if (i % 2 === 0) expect(r.headers['access-control-allow-origin']).toBe(APP);
      }
      await agent.close();
      const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
      // The primary sums every worker's counters.
      expect(metrics).toMatch(/corsgate_requests_total\{kind="actual",decision="allowed"\} 20/);
      expect(metrics).toMatch(/corsgate_requests_total\{kind="actual",decision="refused"\} 20/);
      const denied = (await (await fetch(`${gw.adminUrl}/denied`)).json()) as {
        origins: { origin: string; count: number }[];
      };
      expect(denied.origins.find((o) => o.origin === 'https://evil.test')?.count).toBe(20);

      tmp.atomic('allowed_origins.list', `${APP}\nhttps://second.example.com\n`);
      await waitFor(
        async () => {
          const r = (await (await fetch(`${gw.adminUrl}/reload`, { method: 'POST' })).json()) as {
            workers: { version: number }[];
          };
          return r.workers.length === 2 && r.workers.every((w) => w.version === 2);
        },
        5000,
        'every worker to apply version 2',
      );
      const allowlist = (await (await fetch(`${gw.adminUrl}/allowlist`)).json()) as { entries: unknown[] };
      expect(allowlist.entries).toHaveLength(2);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  }, 60_000);
});

describe('TLS', () => {
  it('serves HTTPS with --tls-cert/--tls-key and lets its --public-origin through as its own', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        `${tmp.dir}/key.pem`,
        '-out',
        `${tmp.dir}/cert.pem`,
      ],
      { stdio: 'ignore' },
    );
    const gw = await startGateway(
      [
        '--upstream',
        upstream.url,
        '--allowlist',
        `${tmp.dir}/allowed_origins.list`,
        '--tls-cert',
        `${tmp.dir}/cert.pem`,
        '--tls-key',
        `${tmp.dir}/key.pem`,
        '--public-origin',
        'https://gw.example.com',
      ],
      { admin: false },
    );
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      expect(gw.url.startsWith('https://')).toBe(true);
      const allowed = await request(`${gw.url}/tls`, { headers: { origin: APP }, dispatcher: agent });
      await allowed.body.dump();
      expect(allowed.statusCode).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe(APP);
      const own = 'https://gw.example.com';
      const same = await request(`${gw.url}/tls-same`, {
        method: 'POST',
        headers: { origin: own },
        body: 'x',
        dispatcher: agent,
      });
      await same.body.dump();
      expect(same.statusCode).toBe(200);
      expect(upstream.received.find((r) => r.url === '/tls-same')?.headers['x-forwarded-proto']).toBe(
        'https',
      );
    } finally {
      await agent.close();
      await gw.stop();
    }
  });
});
