/**
 * The packages as a user gets them: `npm pack`, then a plain `npm install` of the tarballs into
 * scratch projects beside real frameworks (Express 4, Koa 2, Fastify 4; NestJS 11 on Express and
 * Fastify), each app answering the README's JSON PUT from a real server on loopback; ES modules,
 * CommonJS with require(esm) off, TypeScript as `commonjs`, `node16` and `bundler`; the gateway's
 * command through npx; every tarball checked by @arethetypeswrong/cli (docs/packaging.md).
 * The installs share the user's npm cache and run in parallel, so a warm run costs seconds.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const ATTW = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
/** Every publishable package: a workspace with a build script (docs/packaging.md). */
const PACKAGES = ['packages/corsgate', 'packages/redis', 'packages/gateway'];
const MANIFEST = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
const ROOT_DEV = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies;

let scratch: string;
const tarballs: Record<string, string> = {};
let legacy: string;
let modern: string;

async function sh(file: string, args: string[], cwd: string, timeout = 180_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} in ${cwd} failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

/** A scratch project: package.json with these dependencies, the fixtures, then `npm install`. */
async function project(name: string, dependencies: Record<string, string>): Promise<string> {
  const dir = join(scratch, name);
  cpSync(FIXTURES, dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, dependencies }, null, 2));
  await sh(NPM, ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, 300_000);
  return dir;
}

/** Runs a fixture app with node and returns the JSON line it printed. */
async function app(dir: string, args: string[]): Promise<Record<string, unknown>> {
  const out = await sh(process.execPath, args, dir, 60_000);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

function tsconfig(dir: string, name: string, compilerOptions: object, include: string[]): string {
  const file = join(dir, `tsconfig.${name}.json`);
  // Library files are checked once (the node16 run, which reads both the .d.ts and the .d.cts
  // declarations); the other runs skip them, as most projects do, to keep the test short.
  const base = { strict: true, skipLibCheck: true, allowJs: true, types: ['node'], rootDir: '.' };
  writeFileSync(file, JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, include }));
  return file;
}

/** What every app answers for the README's JSON PUT: the same on every framework and format. */
const JSON_PUT = {
  preflight: {
    status: 204,
    allowOrigin: 'https://app.example.com',
    allowCredentials: 'true',
    allowMethods: 'PUT',
    allowHeaders: 'content-type',
    vary: expect.stringMatching(/Origin/i),
    body: '',
  },
  put: {
    status: 200,
    allowOrigin: 'https://app.example.com',
    allowCredentials: 'true',
    allowMethods: null,
    allowHeaders: null,
    vary: expect.stringMatching(/Origin/i),
    body: '{"saved":true}',
  },
  refused: {
    status: 403,
    allowOrigin: null,
    allowCredentials: null,
    allowMethods: null,
    allowHeaders: null,
    vary: expect.stringMatching(/Origin/i),
    body: '',
  },
};

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'corsgate-packed-'));
  // Each package packs into its own tarball, so the three packs run at once.
  await Promise.all(
    PACKAGES.map(async (dir) => {
      const out = await sh(NPM, ['pack', '--json', '--pack-destination', scratch], join(ROOT, dir));
      tarballs[MANIFEST(dir).name] = join(scratch, JSON.parse(out)[0].filename);
    }),
  );
  const corsgate = `file:${tarballs['corsgate']}`;
  const typescript = ROOT_DEV.typescript;
  const typesNode = ROOT_DEV['@types/node'];
  [legacy, modern] = await Promise.all([
    project('legacy', {
      corsgate,
      express: '4.22.3',
      koa: '2.16.4',
      fastify: '4.29.1',
      '@types/express': '4.17.25',
      '@types/node': typesNode,
      typescript,
    }),
    project('modern', {
      corsgate,
      '@corsgate/redis': `file:${tarballs['@corsgate/redis']}`,
      '@corsgate/gateway': `file:${tarballs['@corsgate/gateway']}`,
      '@nestjs/common': '11.2.10',
      '@nestjs/core': '11.2.10',
      '@nestjs/platform-express': '11.2.10',
      '@nestjs/platform-fastify': '11.2.8',
      'reflect-metadata': '0.2.2',
      rxjs: '7.8.2',
      '@types/express': ROOT_DEV['@types/express'],
      '@types/node': typesNode,
      typescript,
    }),
  ]);
}, 600_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarballs', () => {
  it('pass @arethetypeswrong/cli for every entry point in node10, node16 (CommonJS and ESM) and bundler resolution', async () => {
    for (const tarball of Object.values(tarballs)) {
      const out = await sh(process.execPath, [ATTW, tarball, '--format', 'ascii'], scratch);
      expect(out).toContain('No problems found');
    }
  }, 60_000);

  it('carry a README, a LICENSE and the publishing fields, no sources, and the public-suffix data once', async () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = (await sh('tar', ['-tzf', tarball], scratch)).trim().split('\n');
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/LICENSE');
      expect(files.filter((f) => f.startsWith('package/src/') || f.endsWith('.map'))).toEqual([]);
      const manifest = JSON.parse(await sh('tar', ['-xzOf', tarball, 'package/package.json'], scratch));
      expect(manifest.repository.url, name).toMatch(/^git\+https:\/\//);
      expect(manifest.homepage, name).toMatch(/^https:\/\//);
      expect(manifest.keywords, name).toContain('cors');
    }
    // One home for every package, each naming its own folder (docs/packaging.md "Where the packages point").
    const homes = PACKAGES.map((dir) => MANIFEST(dir));
    for (const [i, manifest] of homes.entries()) {
      expect(manifest.repository.directory).toBe(PACKAGES[i]);
      expect([manifest.repository.url, manifest.homepage, manifest.bugs]).toEqual([
        homes[0].repository.url,
        homes[0].homepage,
        homes[0].bugs,
      ]);
    }
    expect(homes[0].homepage).toBe(
      `${homes[0].repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}#readme`,
    );
    const corsgateFiles = (await sh('tar', ['-tzf', tarballs['corsgate']!], scratch)).trim().split('\n');
    const unpacked = join(scratch, 'unpacked');
    await sh('mkdir', ['-p', unpacked], scratch);
    await sh('tar', ['-xzf', tarballs['corsgate']!, '-C', unpacked], scratch);
    const withData = corsgateFiles.filter((f) =>
      readFileSync(join(unpacked, f), 'utf8').includes('blogspot.com.br'),
    );
    expect(withData).toEqual(['package/dist/public-suffixes.cjs']);
  });
});

describe('installed with a plain npm install', () => {
  it('answers a JSON PUT on Express 4, Koa 2 and Fastify 4, required from CommonJS', async () => {
    for (const [script, framework] of [
      ['express4.cjs', 'express 4.22.3'],
      ['koa2.cjs', 'koa 2.16.4'],
      ['fastify4.cjs', 'fastify 4.29.1'],
    ] as const) {
      expect(await app(legacy, [script])).toEqual({ framework, ...JSON_PUT });
    }
  });

  it('loads every entry point as an ES module and as CommonJS with require(esm) turned off', async () => {
    const esm = await app(modern, ['esm.mjs']);
    expect(esm).toEqual({
      loaded: {
        root: true,
        allowlist: true,
        express: true,
        fastify: true,
        fetch: true,
        hono: true,
        koa: true,
        node: true,
      },
      ...JSON_PUT,
    });
    const cjs = await app(modern, ['--no-experimental-require-module', 'cjs.cjs']);
    expect(Object.values(cjs.loaded as object)).toEqual(Array(8).fill(true));
    expect(cjs).toMatchObject(JSON_PUT);
  });

  it('type-checks in TypeScript as commonjs (and runs), node16 (CommonJS and ES module) and bundler', async () => {
    cpSync(join(modern, 'ts/app.ts'), join(modern, 'ts/app.mts'));
    const commonjs = tsconfig(
      modern,
      'commonjs',
      { module: 'commonjs', esModuleInterop: true, outDir: 'out' },
      ['ts/app.ts'],
    );
    const node16 = tsconfig(
      modern,
      'node16',
      { module: 'node16', moduleResolution: 'node16', noEmit: true, skipLibCheck: false },
      ['ts/app.ts', 'ts/app.mts'],
    );
    const bundler = tsconfig(
      modern,
      'bundler',
      { module: 'preserve', moduleResolution: 'bundler', noEmit: true, esModuleInterop: true },
      ['ts/app.ts'],
    );
    // Express 4's own types (@types/express 4) accept the middleware, as `module` commonjs.
    const express4 = tsconfig(
      legacy,
      'express4',
      { module: 'commonjs', esModuleInterop: true, noEmit: true },
      ['ts/express4.ts'],
    );
    // The four checks are independent (only the commonjs one emits, into out/), so they run at once.
    await Promise.all([
      sh(process.execPath, [TSC, '-p', commonjs], modern).then(async () =>
        expect(await app(modern, ['out/ts/app.js'])).toEqual({
          typescript: true,
          allowlistEntries: 1,
          ...JSON_PUT,
        }),
      ),
      sh(process.execPath, [TSC, '-p', node16], modern),
      sh(process.execPath, [TSC, '-p', bundler], modern),
      sh(process.execPath, [TSC, '-p', express4], legacy),
    ]);
  }, 300_000);

  it('runs a NestJS application with corsgate on the Express and the Fastify platform, where @RouteConfig({ cors: false }) turns it off for a route', async () => {
    const config = tsconfig(
      modern,
      'nest',
      {
        module: 'commonjs',
        target: 'ES2021',
        esModuleInterop: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        outDir: 'out',
      },
      ['nest/main.ts'],
    );
    await sh(process.execPath, [TSC, '-p', config], modern);
    expect(await app(modern, ['out/nest/main.js', 'express'])).toEqual({ platform: 'express', ...JSON_PUT });
    expect(await app(modern, ['out/nest/main.js', 'fastify'])).toEqual({
      platform: 'fastify',
      routeOff: { status: 200, allowOrigin: null },
      ...JSON_PUT,
    });
  }, 180_000);

  it('runs the corsgate command as `npx corsgate` and as `npx @corsgate/gateway`', async () => {
    const origin = 'https://App.Example.com:443/page';
    expect(await sh(NPX, ['--no-install', 'corsgate', 'origin', origin], modern)).toBe(
      'https://app.example.com\n',
    );
    expect(await sh(NPX, ['--no-install', '@corsgate/gateway', 'origin', origin], modern)).toBe(
      'https://app.example.com\n',
    );
  }, 60_000);
});

describe('in this repository', () => {
  it("links the corsgate command, so the README's npx corsgate works after npm start or npm test", async () => {
    const out = await sh(NPX, ['--no-install', 'corsgate', 'origin', 'http://LOCALHOST:80/x'], ROOT);
    expect(out).toBe('http://localhost\n');
    expect(readdirSync(join(ROOT, 'node_modules/.bin'))).toContain('corsgate');
  });
});
