/**
 * Issue 28: Express middleware whose allowlist file is missing at start. It says so at once, on
 * console.error, whatever NODE_ENV; every origin is refused, and each refusal's fix names the list;
 * creating the file later puts it in force without a restart (docs/middleware.md "Hot reload from
 * an allowlist file").
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { cors } from '../../src/adapters/express/index.js';
import type { DeniedEvent } from '../../src/index.js';
import { headerValues, listen, type Running, rawRequest } from './_helpers.js';

const FAST = { debounceMs: 20, maxWaitMs: 100, pollIntervalMs: 100, settleMs: 150 };
const APP = 'https://app.example.com';
let dir: string;
let running: Running | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corsgate-missing-list-'));
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function preflightAcao(url: string): Promise<{ status: number; acao: string[] }> {
  const r = await rawRequest(url, {
    method: 'OPTIONS',
    path: '/items',
    headers: [
      ['Origin', APP],
      ['Access-Control-Request-Method', 'PUT'],
    ],
  });
  return { status: r.status, acao: headerValues(r, 'access-control-allow-origin') };
}

it('says at once that the file is missing, names it in every refusal, and applies it when it is created (express)', async () => {
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
    errors.push(String(line));
  });
  const file = join(dir, 'allowed_origins.list');
  const denied: DeniedEvent[] = [];
  const mw = cors({ allowlist: file, methods: ['PUT'], watchOptions: FAST, onDenied: (e) => denied.push(e) });
  const app = express();
  app.use(mw);
  app.options('/items', (_req, res) => res.end());
  running = await listen(app.listen(0, '127.0.0.1'));
  try {
    await mw.ready.catch(() => undefined);
    expect(errors).toEqual([
      `corsgate: ${file}: error CG_ALLOWLIST_MISSING the file does not exist; every origin is refused until the file loads (it is picked up when it appears)`,
    ]);

    expect(await preflightAcao(running.url)).toEqual({ status: 403, acao: [] });
    expect(denied.at(-1)?.fix).toBe(
      `the allowlist ${file} is not loaded (CG_ALLOWLIST_MISSING): create or fix it; every origin is refused until it loads`,
    );

    // Created the way operators are told to: a temp file renamed over.
    writeFileSync(`${file}.tmp`, `${APP}\n`);
    renameSync(`${file}.tmp`, file);
    const deadline = Date.now() + 5_000;
    let answer = await preflightAcao(running.url);
    while (answer.status !== 204 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      answer = await preflightAcao(running.url);
    }
    expect(answer).toEqual({ status: 204, acao: [APP] });
    // Said once, not once a retry.
    expect(errors).toHaveLength(1);
  } finally {
    await mw.close();
  }
});
