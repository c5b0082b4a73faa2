/**
 * Issue 28: a refused preflight says which item and what to do. The README's `serve` line with the
 * JSON PUT most APIs need; the gateway's 403 body and `Corsgate-Refused` header; `corsgate check`
 * naming the refused items and the fix from them (docs/gateway.md "Refused preflights", docs/cli.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Gateway,
  runCorsgate,
  startGateway,
  startUpstream,
  type TempDir,
  tempDir,
  type Upstream,
} from '../helpers.js';

const APP = 'https://app.example.com';

function preflight(url: string, origin: string, method: string, headers?: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      ...(headers === undefined ? {} : { 'Access-Control-Request-Headers': headers }),
    },
  });
}

describe('the gateway started as the README used to show it (no --request-headers)', () => {
  let upstream: Upstream;
  let dir: TempDir;
  let gateway: Gateway;
  beforeAll(async () => {
    upstream = await startUpstream();
    dir = tempDir();
    const list = dir.file('allowed_origins.list', `${APP}\n`);
    gateway = await startGateway(
      ['--upstream', upstream.url, '--allowlist', list, '--credentials', '--methods', 'PUT,DELETE'],
      { admin: false },
    );
  });
  afterAll(async () => {
    await gateway.stop();
    await upstream.close();
    dir.remove();
  });

  it('refuses the JSON PUT with a 403 whose body and Corsgate-Refused header name the missing header', async () => {
    const r = await preflight(`${gateway.url}/items`, APP, 'PUT', 'content-type');
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('corsgate-refused')).toBe('reason=headers-not-allowed; headers=content-type');
    expect(await r.json()).toEqual({
      error: 'CORS preflight refused',
      reason: 'headers-not-allowed',
      missing: { headers: ['content-type'] },
    });
    expect(upstream.received).toHaveLength(0);
  });

  it('names the method and every header at once, and never what the policy allows', async () => {
    const r = await preflight(`${gateway.url}/items`, APP, 'PATCH', 'content-type,x-id');
    const body = await r.text();
    expect(JSON.parse(body)).toEqual({
      error: 'CORS preflight refused',
      reason: 'method-not-allowed',
      missing: { method: 'PATCH', headers: ['content-type', 'x-id'] },
    });
    expect(r.headers.get('corsgate-refused')).toBe(
      'reason=method-not-allowed; method=PATCH; headers=content-type,x-id',
    );
    // The allowed methods (PUT, DELETE) and the allowlist are never disclosed.
    expect(`${body} ${r.headers.get('corsgate-refused')}`).not.toMatch(/PUT|DELETE|app\.example\.com/);
  });

  it('a refused origin gets the reason only: the origin is not echoed', async () => {
    const r = await preflight(`${gateway.url}/items`, 'https://evil.example', 'PUT');
    const body = await r.text();
    expect(JSON.parse(body)).toEqual({ error: 'CORS preflight refused', reason: 'origin-not-allowed' });
    expect(body).not.toContain('evil');
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('check names the refused header and the flag that fixes it, and warns before a real PUT', async () => {
    const r = await runCorsgate([
      'check',
      `${gateway.url}/items`,
      '--origin',
      APP,
      '--method',
      'PUT',
      '-H',
      'Content-Type: application/json',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'the server is corsgate and says why (headers-not-allowed): its policy does not allow the header content-type',
    );
    expect(r.stdout).toContain('add content-type to --request-headers');
    expect(r.stderr).toContain(`corsgate check: warning: PUT is sent for real to ${gateway.url}/items`);
  });

  it('check names the method and both headers when all three are missing', async () => {
    const r = await runCorsgate([
      'check',
      `${gateway.url}/items`,
      '--origin',
      APP,
      '--method',
      'PATCH',
      '-H',
      'Content-Type: application/json',
      '-H',
      'X-Id: 1',
    ]);
    expect(r.stdout).toContain('does not allow the method PATCH or the headers content-type, x-id');
    expect(r.stdout).toContain(
      'add PATCH to --methods (policy.methods) and content-type,x-id to --request-headers',
    );
  });

  it('check names a refused origin and how to allow it', async () => {
    const r = await runCorsgate([
      'check',
      `${gateway.url}/items`,
      '--origin',
      'https://new.example',
      '--method',
      'DELETE',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('the origin https://new.example is not on its allowlist');
    expect(r.stdout).toContain('corsgate allowlist add https://new.example');
  });

  it('a GET sends nothing unsafe and check prints no warning', async () => {
    const r = await runCorsgate(['check', `${gateway.url}/items`, '--origin', APP, '--no-probe']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('the gateway started as the README shows it now', () => {
  it('--request-headers Content-Type lets the JSON PUT through, and check says allowed', async () => {
    const upstream = await startUpstream();
    const dir = tempDir();
    const list = dir.file('allowed_origins.list', `${APP}\n`);
    const gateway = await startGateway(
      [
        ...['--upstream', upstream.url, '--allowlist', list, '--credentials'],
        ...['--methods', 'PUT,DELETE', '--request-headers', 'Content-Type'],
      ],
      { admin: false },
    );
    try {
      const r = await preflight(`${gateway.url}/echo`, APP, 'PUT', 'content-type');
      expect(r.status).toBe(204);
      const check = await runCorsgate([
        ...['check', `${gateway.url}/echo`, '--origin', APP, '--method', 'PUT'],
        ...['-H', 'Content-Type: application/json', '--credentials', '--no-probe'],
      ]);
      expect(check.code).toBe(0);
    } finally {
      await gateway.stop();
      await upstream.close();
      dir.remove();
    }
  });
});
