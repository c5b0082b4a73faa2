/**
 * Options of `cors`, `@fastify/cors`, `@koa/cors` and `hono/cors` given to corsgate are refused
 * (CG_CONFIG_UNKNOWN_FIELD, fail closed) with a suggestion that names corsgate's field or says why
 * none is needed (docs/migrating.md).
 */
import { describe, expect, it } from 'vitest';
import { cors as expressCors } from '../../src/adapters/express/index.js';
import { cors as koaCors } from '../../src/adapters/koa/index.js';
import { CorsConfigError, createPolicy } from '../../src/index.js';

function refusal(config: Record<string, unknown>) {
  try {
    createPolicy(config);
  } catch (error) {
    expect(error).toBeInstanceOf(CorsConfigError);
    return (error as CorsConfigError).issues;
  }
  throw new Error('createPolicy accepted a foreign option');
}

describe('another CORS package’s option names', () => {
  it.each([
    ['origin', 'https://app.example.com', 'did you mean "origins"?'],
    ['allowedHeaders', ['Content-Type'], 'did you mean "requestHeaders"?'],
    ['allowHeaders', ['Content-Type'], 'did you mean "requestHeaders"?'],
    ['headers', ['Content-Type'], 'did you mean "requestHeaders"?'],
    ['exposedHeaders', ['X-Id'], 'did you mean "exposeHeaders"?'],
    ['allowMethods', ['PUT'], 'did you mean "methods"?'],
    ['optionsSuccessStatus', 200, 'did you mean "preflightStatus"? (200 or 204)'],
    ['privateNetworkAccess', true, 'did you mean "privateNetwork"?'],
    ['preflightContinue', false, 'remove it: corsgate answers every preflight itself'],
    ['preflight', true, 'remove it: corsgate always answers preflights'],
    ['strictPreflight', true, 'remove it: an OPTIONS request without Access-Control-Request-Method'],
    ['keepHeadersOnError', true, 'remove it: corsgate sets its headers before the application runs'],
    ['hideOptionsRoute', true, 'remove it: corsgate registers no OPTIONS route'],
  ])('"%s" is refused with a suggestion naming what to write instead', (field, value, suggestion) => {
    const [found] = refusal({ origins: ['https://app.example.com'], [field]: value });
    expect(found).toMatchObject({ code: 'CG_CONFIG_UNKNOWN_FIELD', path: [field], severity: 'error' });
    expect(found!.suggestion).toContain(suggestion);
  });

  it('reports every foreign option of a whole `cors` configuration at once, each with its hint', () => {
    const issues = refusal({
      origin: ['https://app.example.com'],
      methods: ['GET', 'PUT'],
      allowedHeaders: ['Content-Type'],
      credentials: true,
      optionsSuccessStatus: 204,
    });
    const unknown = issues.filter((i) => i.code === 'CG_CONFIG_UNKNOWN_FIELD');
    expect(unknown.map((i) => [i.path[0], i.suggestion?.split('?')[0]])).toEqual([
      ['origin', 'did you mean "origins"'],
      ['allowedHeaders', 'did you mean "requestHeaders"'],
      ['optionsSuccessStatus', 'did you mean "preflightStatus"'],
    ]);
  });

  it('shows the hint in the error an Express or Koa app gets when it is built', () => {
    expect(() => expressCors({ origin: 'https://app.example.com' } as never)).toThrow(
      /origin: error CG_CONFIG_UNKNOWN_FIELD "origin" is not a configuration field \(did you mean "origins"\?/,
    );
    expect(() => koaCors({ origins: [], allowMethods: ['PUT'] } as never)).toThrow(
      /allowMethods: error CG_CONFIG_UNKNOWN_FIELD "allowMethods" is not a configuration field \(did you mean "methods"\?\)/,
    );
  });

  it('gives an unknown field that no CORS package uses no suggestion', () => {
    const [found] = refusal({ origins: [], colour: 'blue' });
    expect(found).toMatchObject({ code: 'CG_CONFIG_UNKNOWN_FIELD', path: ['colour'] });
    expect(found!.suggestion).toBeUndefined();
    expect(refusal({ origins: [], toString: 'x' })[0]!.suggestion).toBeUndefined();
  });
});
