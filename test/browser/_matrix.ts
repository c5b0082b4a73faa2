/**
 * Real-browser conformance (issue 7): Chromium runs every row of CASES against every way in, and
 * asserts what the page script observed. A row a way in cannot run (a missing feature) shows as a
 * skipped "gap" naming the reason; the expectations are never forked per way in.
 */
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { CASES, type Case } from './_cases.js';
import { checkAgainst } from './_check.js';
import { Instances, type RowResult, runRow, type Suite, startSuite } from './_harness.js';
import { WAYS_IN } from './_ways-in.js';

let suite: Suite;

beforeAll(async () => {
  suite = await startSuite();
}, 300_000);

afterAll(async () => {
  await suite?.close();
});

function assertRow(expect: ExpectStatic, c: Case, r: RowResult): void {
  const o = r.observation;
  const e = c.expect;
  const where = `${c.id}: ${JSON.stringify(o)}`;
  expect(o.outcome, where).toBe(e.outcome);
  if (e.status !== undefined) expect(o.status, where).toBe(e.status);
  if (e.type !== undefined) expect(o.type, where).toBe(e.type);
  for (const [name, value] of Object.entries(e.readable ?? {})) {
    if (value === null) expect(o.headers[name], `${name} must not be readable; ${where}`).toBeUndefined();
    else expect(o.headers[name], `${name} readable; ${where}`).toBe(value);
  }
  if (e.body !== undefined) expect(JSON.parse(o.body), where).toMatchObject(e.body);
  for (const step of r.steps) {
    // Earlier steps of a scenario must themselves have worked (set-up, first request).
    expect(step.outcome, `earlier step: ${JSON.stringify(step)}`).toBe('resolved');
  }
}

for (const way of WAYS_IN) {
  // Rows of one way in run a few at a time (each in its own browser context): most of a row's time
  // is waiting on the loopback round trips and Chromium, not CPU.
  describe.concurrent(`Chromium against ${way.name}`, () => {
    let live: Instances;
    beforeAll(() => {
      live = new Instances(suite);
    });
    afterAll(async () => {
      await live?.closeAll();
    });

    for (const c of CASES) {
      const missing = (c.needs ?? []).filter((f) => !way.features.has(f));
      if (missing.length > 0) {
        const why = missing.map((f) => way.gapReasons?.[f] ?? `no ${f} support`).join('; ');
        it.skip(`${c.title} [gap: ${why}]`, () => {});
        continue;
      }
      // Concurrent rows must use their own `expect` so failures are attributed to the right row.
      it(c.title, async ({ expect }) => {
        await runRow(suite, live, way, c, async (r) => {
          assertRow(expect, c, r);
          const method = c.request.method ?? 'GET';
          // Every row's request reached the way in: a refusal was the way in's, not something
          // the browser decided on its own before sending (mixed content, Local Network Access).
          expect(suite.ingress.count(r.prefix), 'requests that reached the way in').toBeGreaterThan(0);
          if (r.origin === 'null') {
            expect(suite.ingress.under(r.prefix)[0]?.headers['origin'], 'Origin sent').toBe('null');
          }
          if (c.expect.preflights !== undefined) {
            expect(suite.ingress.count(r.prefix, 'OPTIONS'), 'preflights that reached the way in').toBe(
              c.expect.preflights,
            );
          }
          if (c.expect.upstream !== undefined) {
            expect(suite.upstream.count(r.prefix, method), `${method} requests that reached the API`).toBe(
              c.expect.upstream,
            );
          }
          if (c.expect.console !== undefined) {
            const line = await r.waitForConsole(c.expect.console);
            expect(line, `console:\n${r.consoleLines.join('\n')}`).toBeDefined();
          }
          // corsgate check, asked the same question, must reach Chromium's verdict.
          if (c.noCheck === undefined) {
            const v = await checkAgainst(c, r.frontPort, r.path, r.origin, r.observation);
            const why = `corsgate check disagrees with Chromium:\n${JSON.stringify(v.trace.steps, null, 1)}`;
            expect(v.check.verdict, why).toBe(v.browser.verdict);
            expect(v.check.readable, why).toEqual(v.browser.readable);
          }
        });
      });
    }
  });
}
