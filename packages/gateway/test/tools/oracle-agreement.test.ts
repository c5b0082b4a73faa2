/**
 * The browser model (src/browser-model) keeps its own copy of the Fetch Standard's names and sets,
 * written from the browser's side, so that `corsgate check` and the tests judge the engine with an
 * oracle that does not share its code (docs/cli.md "`corsgate check`"). Two copies can drift: this test says
 * where they must agree, and where they deliberately may not and why.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as engine from '../../../corsgate/src/engine/fetch-spec.js';
import * as model from '../../src/browser-model/fetch-names.js';

describe('the browser model and the engine agree on the Fetch Standard’s names', () => {
  it.each([
    ['SAFELISTED_METHODS', model.SAFELISTED_METHODS, engine.SAFELISTED_METHODS],
    ['FORBIDDEN_METHODS', model.FORBIDDEN_METHODS, engine.FORBIDDEN_METHODS],
    ['NORMALISED_METHODS', model.NORMALISED_METHODS, engine.NORMALISED_METHODS],
    ['FORBIDDEN_REQUEST_HEADERS', model.FORBIDDEN_REQUEST_HEADERS, engine.FORBIDDEN_REQUEST_HEADERS],
    ['SAFELISTED_RESPONSE_HEADERS', model.SAFELISTED_RESPONSE_HEADERS, engine.SAFELISTED_RESPONSE_HEADERS],
    ['FORBIDDEN_RESPONSE_HEADERS', model.FORBIDDEN_RESPONSE_HEADERS, engine.FORBIDDEN_RESPONSE_HEADERS],
  ] as const)('%s holds the same names in both', (_name, inModel, inEngine) => {
    expect([...inModel].sort()).toEqual([...inEngine].sort());
  });

  it('names the same non-wildcard request header', () => {
    expect(model.NON_WILDCARD_REQUEST_HEADER).toBe(engine.NON_WILDCARD_REQUEST_HEADER);
  });

  it('agrees on what an HTTP token is (a regular expression there, a lookup table here)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 12 }), (value) => {
        expect(model.isToken(value)).toBe(engine.isToken(value));
      }),
      { numRuns: 2000 },
    );
    for (const value of ['', 'PUT', 'x-custom', 'a b', 'é', 'a,b', '"q"', 'x:y'])
      expect(model.isToken(value), value).toBe(engine.isToken(value));
  });

  it('agrees on which header names are forbidden, for every name a method override does not carry', () => {
    const names = [
      ...engine.FORBIDDEN_REQUEST_HEADERS,
      'proxy-authorization',
      'sec-fetch-site',
      'Sec-Ch-Ua',
      'PROXY-X',
      'content-type',
      'authorization',
      'x-requested-with',
      'secret',
      'proxyish',
    ];
    for (const name of names)
      expect(model.isForbiddenRequestHeader(name, 'value'), name).toBe(
        engine.isForbiddenRequestHeader(name.toLowerCase()),
      );
  });
});

describe('where the browser model deliberately differs', () => {
  it('forbids a method-override header naming a forbidden method, which the engine still lets a policy allow', () => {
    // A browser drops `X-HTTP-Method-Override: TRACE` from a script's request (the value decides,
    // #forbidden-request-header); the engine sees names only, in a configuration, and a script
    // may send the same header with `PUT`, so listing the name is not a mistake.
    for (const name of ['x-http-method', 'x-http-method-override', 'x-method-override']) {
      expect(model.isForbiddenRequestHeader(name, 'TRACE'), name).toBe(true);
      expect(model.isForbiddenRequestHeader(name, 'PUT'), name).toBe(false);
      expect(engine.isForbiddenRequestHeader(name), name).toBe(false);
    }
  });

  it('keeps its own whitespace trimming, and the default ports only in the engine', () => {
    // The model trims header values as the browser's parser does; the engine compares origins in
    // their serialized form and needs the default ports to refuse one that carries its default.
    expect(model.trimHttpWhitespace('\r\n\t a \t\n')).toBe('a');
    expect(model.trimOws('\t a \t')).toBe('a');
    expect(Object.keys(engine.DEFAULT_PORTS).sort()).toEqual(['ftp', 'http', 'https', 'ws', 'wss']);
    expect('DEFAULT_PORTS' in model).toBe(false);
  });
});
