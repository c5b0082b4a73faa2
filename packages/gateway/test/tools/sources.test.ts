/**
 * The command line over any source (docs/cli.md, docs/sources.md): `corsgate allowlist
 * push|pull|add|remove` to a file or a real Redis, and `explain` and `lint` reading a Redis source.
 * Exit codes as `lint`: 0 done, 1 warnings with --strict, 2 errors, unreachable or conflict.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedis } from '../../../redis/test/_redis-server.js';
import { main } from '../../src/cli/main.js';
import { capture } from './_helpers.js';

let dir: string;
let redis: RedisServer;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corsgate-sources-'));
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]) {
  const c = capture({ cwd: dir });
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}
const key = (): string => `${redis.url}?key=cli-${++n}`;

describe('corsgate allowlist with a Redis source', () => {
  it('pushes a linted file as version 1, pulls it back byte for byte, adds and removes one version each', async () => {
    const url = key();
    await writeFile(join(dir, 'partners.list'), '# partners\nhttps://a.example.com\n');
    const pushed = await run(['allowlist', 'push', 'partners.list', '--to', url]);
    expect(pushed).toMatchObject({ code: 0 });
    expect(pushed.out).toMatch(
      /^redis:\/\/127\.0\.0\.1:\d+\?key=cli-\d+: version 1 written \(sha256 [0-9a-f]{12}\)\n$/,
    );
    expect((await run(['allowlist', 'pull', '--from', url])).out).toBe('# partners\nhttps://a.example.com\n');
    const added = await run(['allowlist', 'add', 'HTTPS://B.example.com:443', '--to', url]);
    expect(added.out).toMatch(/version 2 written .*: added https:\/\/b\.example\.com\n$/);
    const removed = await run(['allowlist', 'remove', 'https://a.example.com', '--to', url, '--json']);
    expect(JSON.parse(removed.out)).toMatchObject({
      version: 3,
      written: true,
      removed: ['https://a.example.com'],
    });
    expect((await run(['allowlist', 'pull', '--from', url])).out).toBe('# partners\nhttps://b.example.com\n');
  });

  it('refuses a list with errors with the lint lines (exit 2), and one with warnings under --strict (exit 1), writing nothing', async () => {
    const url = key();
    await writeFile(join(dir, 'bad.list'), 'https://a.example.com\nhttps://a.example.com/path\n');
    const bad = await run(['allowlist', 'push', 'bad.list', '--to', url]);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/^bad\.list:2:22: error CG_ORIGIN_HAS_PATH /m);
    expect(bad.err).toContain('nothing written');
    await writeFile(join(dir, 'warn.list'), 'https://a.example.com\nhttps://a.example.com\n');
    const warned = await run(['allowlist', 'push', 'warn.list', '--to', url, '--strict']);
    expect(warned.code).toBe(1);
    expect(warned.out).toMatch(/^warn\.list:2:1: warning CG_ORIGIN_DUPLICATE /m);
    const pulled = await run(['allowlist', 'pull', '--from', url]);
    expect(pulled.code).toBe(2);
    expect(pulled.err).toContain('CG_ALLOWLIST_MISSING');
  });

  it('exits 2 with CG_ALLOWLIST_UNREACHABLE when Redis does not answer, and never prints the password', async () => {
    const url = `redis://ops:s3cret@127.0.0.1:${await freePort()}`;
    const r = await run(['allowlist', 'add', 'https://a.example.com', '--to', url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('CG_ALLOWLIST_UNREACHABLE');
    expect(r.err).toContain('ops:***@');
    expect(r.err + r.out).not.toContain('s3cret');
  });

  it('exits 2 for a bad source URL and for --expect-version with a file', async () => {
    expect((await run(['allowlist', 'pull', '--from', 'redis://h:6379?db=2'])).err).toContain(
      'CG_ALLOWLIST_SOURCE_INVALID',
    );
    await writeFile(join(dir, 'x.list'), 'https://a.example.com\n');
    const r = await run(['allowlist', 'push', 'x.list', '--to', 'y.list', '--expect-version', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--expect-version applies to a Redis source only');
  });
});

describe('corsgate allowlist with a file source', () => {
  it('pushes atomically, adds and removes keeping comments, and pulls the text', async () => {
    await writeFile(join(dir, 'in.list'), '# team\nhttps://a.example.com\n');
    expect((await run(['allowlist', 'push', 'in.list', '--to', 'out.list'])).code).toBe(0);
    expect((await run(['allowlist', 'add', 'https://b.example.com', '--to', 'out.list'])).out).toMatch(
      /^out\.list: written .*added https:\/\/b\.example\.com/,
    );
    expect((await run(['allowlist', 'remove', 'https://a.example.com', '--to', 'out.list'])).code).toBe(0);
    expect(await readFile(join(dir, 'out.list'), 'utf8')).toBe('# team\nhttps://b.example.com\n');
    expect((await run(['allowlist', 'pull', '--from', 'out.list'])).out).toBe(
      '# team\nhttps://b.example.com\n',
    );
    const refused = await run(['allowlist', 'add', 'not an origin', '--to', 'out.list']);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/^out\.list: error CG_ORIGIN_UNSUPPORTED_PATTERN "not an origin" /);
  });
});

describe('explain and lint read a Redis source', () => {
  it('explain decides against the version stored in Redis', async () => {
    const url = key();
    await writeFile(join(dir, 'e.list'), 'https://a.example.com\n');
    await run(['allowlist', 'push', 'e.list', '--to', url]);
    const allowed = await run(['explain', '--allowlist', url, '--origin', 'https://a.example.com']);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain('allowed: yes');
    expect(allowed.out).toContain('Access-Control-Allow-Origin: https://a.example.com');
    const refused = await run(['explain', '--allowlist', url, '--origin', 'https://b.example.com']);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('allowed: no');
    const missing = await run(['explain', '--allowlist', key(), '--origin', 'https://a.example.com']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('CG_ALLOWLIST_MISSING');
  });

  it('lint reports the stored version line by line, and --fix writes the normalised text as the next version', async () => {
    const url = key();
    await writeFile(join(dir, 'l.list'), '# x\nHTTPS://A.example.com:443\nhttps://a.example.com\n');
    await run(['allowlist', 'push', 'l.list', '--to', url]);
    const linted = await run(['lint', url]);
    expect(linted.code).toBe(0);
    expect(linted.out).toMatch(/\?key=cli-\d+:3:1: warning CG_ORIGIN_DUPLICATE /);
    const fixed = await run(['lint', url, '--fix']);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('rewritten in normalised form');
    const pulled = await run(['allowlist', 'pull', '--from', url, '--json']);
    expect(JSON.parse(pulled.out)).toMatchObject({ version: 2, text: '# x\nhttps://a.example.com\n' });
  });
});
