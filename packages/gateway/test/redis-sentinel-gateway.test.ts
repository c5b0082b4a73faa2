/**
 * The gateway and the CLI over Redis Sentinel (docs/sources.md "Deployments"): black-box, the built
 * CLI with `--allowlist redis+sentinel://…` against a real master, two replicas and a
 * redis-sentinel. The master is killed; an admin write after the failover reaches the new master
 * and the gateway enforces it, and the fleet's audit trail names the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentinelSetup, startSentinel } from '../../redis/test/_redis-ha.js';
import {
  type Gateway,
  runCorsgate,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
  waitFor,
} from './helpers.js';

const A = 'https://a.example.com';
const B = 'https://b.example.com';
const TOKEN = 'sentinel-gateway-token-0123456789abcdef';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
let ha: SentinelSetup;
let upstream: Upstream;
let tmp: TempDir;
let gw: Gateway;

beforeAll(async () => {
  [ha, upstream] = await Promise.all([startSentinel(), startUpstream()]);
  tmp = tempDir();
}, 60_000);
afterAll(async () => {
  await gw?.stop('SIGKILL');
  await Promise.all([ha?.stop(), upstream?.close()]);
  tmp?.remove();
});

async function allowOrigin(origin: string): Promise<string | null> {
  const res = await fetch(`${gw.url}/json`, { headers: { Origin: origin } });
  await res.arrayBuffer();
  return res.headers.get('access-control-allow-origin');
}

describe('corsgate serve --allowlist redis+sentinel://', () => {
  it('pushes through the sentinels, serves the list, and after the master is killed writes through the admin API to the new master and enforces it', async () => {
    const pushed = await runCorsgate(['allowlist', 'push', tmp.file('a.list', `${A}\n`), '--to', ha.url]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const tokens = tmp.file('tokens', `ops:${TOKEN}\n`);
    gw = await startGateway(
      ['--upstream', upstream.url, '--allowlist', ha.url, '--admin-token-file', tokens],
      {
        cwd: tmp.dir,
      },
    );
    expect(await allowOrigin(A)).toBe(A);
    expect(await allowOrigin(B)).toBe(null);
    const view = await (await fetch(`${gw.adminUrl}/allowlist`, { headers: AUTH })).json();
    expect(view).toMatchObject({ version: 1 });
    expect(JSON.stringify(view)).toContain(ha.url);

    await ha.failover();
    // A write racing the failover is applied once or refused with a code; retried until applied.
    let status = 0;
    await waitFor(
      async () => {
        const res = await fetch(`${gw.adminUrl}/allowlist/origins`, {
          method: 'POST',
          headers: { ...AUTH, 'Content-Type': 'application/json' },
          body: JSON.stringify({ origin: B }),
        });
        const body = (await res.json()) as { code?: string };
        status = res.status;
        if (status !== 200) expect(body.code).toMatch(/^CG_ALLOWLIST_(UNREACHABLE|WRITE_UNCONFIRMED)$/);
        return status === 200;
      },
      30_000,
      'an admin write after the failover',
    );
    expect(await allowOrigin(B)).toBe(B);
    const pulled = await runCorsgate(['allowlist', 'pull', '--from', ha.url, '--json']);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ version: 2, text: `${A}\n${B}\n` });
    const { records } = (await (await fetch(`${gw.adminUrl}/audit`, { headers: AUTH })).json()) as {
      records: Record<string, unknown>[];
    };
    expect(records[0]).toMatchObject({ token: 'ops', action: 'add', fromVersion: 1, toVersion: 2 });
    expect(records[0]!['node']).toEqual(expect.stringMatching(/:\d+$/));
  }, 90_000);
});
