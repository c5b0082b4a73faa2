/** `npm start` (scripts/start.mjs): the demo API behind the gateway, and the three curl commands it prints. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { waitFor } from './helpers.js';

it('starts the demo upstream and the gateway, prints the URLs and three curl commands that behave as described', async () => {
  const root = resolve(import.meta.dirname, '../../..');
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: { ...process.env, PORT: '0', ADMIN_PORT: '0', UPSTREAM_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(() => out.includes('Ctrl-C stops both.'), 25_000, 'the banner');
    const gateway = /gateway\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    expect(out).toMatch(/admin\s+http:\/\/127\.0\.0\.1:\d+/);
    const curls = out.split('\n').filter((l) => l.trim().startsWith('curl -i'));
    expect(curls).toHaveLength(3);

    const allowed = await fetch(`${gateway}/api/items`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example.com',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const refused = await fetch(`${gateway}/api/items`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(refused.status).toBe(403);
    const blocked = await fetch(`${gateway}/api/items`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
      body: 'transfer all',
    });
    expect(blocked.status).toBe(403);
    const items = await fetch(`${gateway}/api/items`, { headers: { Origin: 'https://app.example.com' } });
    expect(((await items.json()) as unknown[]).length).toBe(2);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
}, 45_000);
