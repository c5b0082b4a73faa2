/**
 * Real-browser conformance (issues 7 and 22): one engine runs every row of CASES against every
 * way in, and asserts what the page script observed; `corsgate check --browser <that engine's
 * profile>` must reach the same verdict. A row a way in cannot run (a missing feature) shows as a
 * skipped "gap" naming the reason; the expectations are never forked per way in, and differ per
 * engine only where a row names the difference and its rule (docs/browsers.md).
 */

import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { CASES, type Case, type Expectation, expectationIn } from './_cases.js';
import { defineDifferences } from './_differences.js';
import type { EngineName } from './_engine.js';
import { defineFastifyRoutes } from './_fastify-routes.js';
import { defineGatewayProtocols } from './_gateway-protocols.js';
import {
  MatrixRun,
  type Row,
  type RowResult,
  type Suite,
  type SuiteServers,
  saveArtefacts,
  startServers,
  startSuite,
} from './_harness.js';
import { WAYS_IN, type WayIn } from './_ways-in.js';

function assertRow(expect: ExpectStatic, c: Case, e: Expectation, r: RowResult): void {
  const o = r.observation;
  const where = `${c.id}: ${JSON.stringify(o)}`;
  expect(o.outcome, where).toBe(e.outcome);
  if (e.status !== undefined) expect(o.status, where).toBe(e.status);
  if (e.type !== undefined) expect(o.type, where).toBe(e.type);
  for (const [name, value] of Object.entries(e.readable ?? {})) {
    if (value === null) expect(o.headers[name], `${name} must not be readable; ${where}`).toBeUndefined();
    else expect(o.headers[name], `${name} readable; ${where}`).toBe(value);
  }
  if (e.body !== undefined) expect(JSON.parse(o.body), where).toMatchObject(e.body);
  if (e.error !== undefined && o.outcome === 'rejected') expect(o.error, where).toBe(e.error);
  for (const step of r.steps) {
    // Earlier steps of a scenario must themselves have worked (set-up, first request).
    expect(step.outcome, `earlier step: ${JSON.stringify(step)}`).toBe('resolved');
  }
}

/** What reached the way in and the API, the console, and `corsgate check`'s verdict. */
async function assertAround(
  expect: ExpectStatic,
  suite: Suite,
  c: Case,
  e: Expectation,
  r: RowResult,
): Promise<void> {
  const method = c.request.method ?? 'GET';
  // Every row's request reached the way in: a refusal was the way in's, not something the
  // browser decided on its own before sending (mixed content, Local Network Access).
  expect(r.ingress.length, 'requests that reached the way in').toBeGreaterThan(0);
  if (r.origin === 'null') {
    expect(r.ingress[0]?.headers['origin'], 'Origin sent').toBe('null');
  }
  if (e.preflights !== undefined) {
    expect(r.ingress.filter((s) => s.method === 'OPTIONS').length, 'preflights that reached the way in').toBe(
      e.preflights,
    );
  }
  if (e.upstream !== undefined) {
    expect(
      r.upstream.filter((s) => s.method === method).length,
      `${method} requests that reached the API`,
    ).toBe(e.upstream);
  }
  if (e.console !== undefined && suite.engine.console) {
    const line = await r.waitForConsole(e.console);
    expect(line, `console:\n${r.consoleLines.join('\n')}`).toBeDefined();
  }
  // corsgate check, asked the same question with this engine's profile, must reach its verdict.
  if (c.noCheck === undefined) {
    const v = r.check;
    expect(v, 'corsgate check was asked').toBeDefined();
    if (v === undefined) return;
    const why = `corsgate check --browser ${suite.engine.model} disagrees with ${suite.engine.label}:\n${JSON.stringify(v.trace.steps, null, 1)}`;
    expect(v.check.verdict, why).toBe(v.browser.verdict);
    expect(v.check.readable, why).toEqual(v.browser.readable);
  }
}

/** The row's title in this engine: the behaviour sentence, and where the engine differs, how. */
function titleIn(c: Case, engine: EngineName, console: boolean): string {
  const notes: string[] = [];
  const difference = c.engines?.[engine];
  if (difference !== undefined) notes.push(`${engine}: ${difference.difference} (${difference.rule})`);
  if (c.expect.console !== undefined && !console)
    notes.push(`${engine}: its CORS console messages are not visible to the driver; outcome only`);
  return notes.length === 0 ? c.title : `${c.title} [${notes.join('; ')}]`;
}

/** Why a row cannot run against a way in beyond a missing feature (a policy nginx's export refuses). */
export type GapOf = (c: Case) => string | undefined;

/** The rows a way in can run, and the gap notes of those it cannot. */
function rowsOf(way: WayIn, gapOf: GapOf): { rows: Row[]; gaps: Map<string, string> } {
  const rows: Row[] = [];
  const gaps = new Map<string, string>();
  for (const c of CASES) {
    const missing = (c.needs ?? []).filter((f) => !way.features.has(f));
    const gap = gapOf(c);
    if (missing.length === 0 && gap === undefined) rows.push({ way, c });
    else
      gaps.set(
        c.id,
        [...missing.map((f) => way.gapReasons?.[f] ?? `no ${f} support`), ...(gap ? [gap] : [])].join('; '),
      );
  }
  return { rows, gaps };
}

function defineWay(
  engine: EngineName,
  getSuite: () => Suite,
  getRun: () => MatrixRun,
  way: WayIn,
  console: boolean,
  gapOf: GapOf,
): void {
  const { gaps } = rowsOf(way, gapOf);
  describe(`against ${way.name}`, () => {
    for (const c of CASES) {
      const gap = gaps.get(c.id);
      if (gap !== undefined) {
        it.skip(`${c.title} [gap: ${gap}]`, () => {});
        continue;
      }
      const e = expectationIn(c, engine);
      // Every row was started with all the others (MatrixRun); its test asserts what it recorded.
      // A row waits on events, never a clock; the limit only ends a browser that hangs (a loaded
      // machine has taken 15 s for a WebKit row that takes 0.3 s on a quiet one).
      it(titleIn(c, engine, console), async ({ expect }) => {
        const suite = getSuite();
        const run = await getRun().row(way, c);
        try {
          if (!run.ok) throw run.error;
          assertRow(expect, c, e, run.result);
          await assertAround(expect, suite, c, e, run.result);
        } catch (error) {
          await saveArtefacts(suite, way, c, run);
          throw error;
        }
      }, 240_000);
    }
  });
}

/**
 * Every row against each of `ways` in one engine, all run at once in its one browser (MatrixRun):
 * the file's hooks start the servers, the ways in (while the browser launches) and every row; one
 * `describe` per way in under `label` asserts them. Returns the suite, for sections that share
 * the browser. `console` says whether the engine's CORS console messages reach the driver
 * (Chromium only); a row's title says when its console check does not run.
 */
export function defineRows(
  engine: EngineName,
  label: string,
  ways: readonly WayIn[],
  console: boolean,
  gapOf: GapOf = () => undefined,
): () => Suite {
  let suite: Suite | undefined;
  let run: MatrixRun;
  let servers: SuiteServers | undefined;
  const getSuite = (): Suite => {
    if (suite === undefined) throw new Error(`the ${label} suite did not start`);
    return suite;
  };
  beforeAll(async () => {
    servers = await startServers();
    const launching = startSuite(engine, servers);
    run = new MatrixRun(servers, launching, engine);
    run.start(ways.flatMap((way) => rowsOf(way, gapOf).rows));
    suite = await launching;
    // The versions measured on, in the test output (docs/browsers.md cites them).
    process.stdout.write(`browser matrix (${ways.map((w) => w.name).join(', ')}): ${suite.engine.version}\n`);
  }, 120_000);
  afterAll(async () => {
    await run?.closeAll();
    if (suite !== undefined) await suite.close();
    else await servers?.pages.close();
  });
  if (ways.length > 0)
    describe(`${label}`, () => {
      for (const way of ways) defineWay(engine, getSuite, () => run, way, console, gapOf);
    });
  return getSuite;
}

/** The matrix in one engine, in a test file of its own so vitest runs the engines side by side. */
export function defineMatrix(engine: EngineName, label: string, console: boolean): void {
  const getSuite = defineRows(engine, label, WAYS_IN, console);
  // The sections of their own, in the same browser (one browser process per engine per run), once
  // the rows are done: a loaded machine starves whatever runs beside all of them.
  defineDifferences(engine, getSuite);
  defineFastifyRoutes(label, getSuite);
  defineGatewayProtocols(label, getSuite);
}
