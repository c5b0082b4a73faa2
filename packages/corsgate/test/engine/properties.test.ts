import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeOrigin } from '../../src/engine/origin.js';
import {
  type CorsConfig,
  createPolicy,
  type Decision,
  parseSerializedOrigin,
  type RequestFacts,
  validateConfig,
} from '../../src/index.js';

const RUNS = { numRuns: 1500 };

// ---------------------------------------------------------------------------------------------
// §3.1: the strict Origin parser agrees with the WHATWG URL parser (`new URL(x).origin`).

const SPECIAL_SCHEMES = ['http', 'https', 'ws', 'wss', 'ftp'];
const hexGroup = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const ipv6Text = fc
  .record({
    groups: fc.array(hexGroup, { minLength: 8, maxLength: 8 }),
    upper: fc.boolean(),
    pad: fc.boolean(),
    compress: fc.boolean(),
  })
  .map(({ groups, upper, pad, compress }) => {
    let parts = groups.map((g) => (pad ? g.toString(16).padStart(4, '0') : g.toString(16)));
    let text = parts.join(':');
    if (compress) {
      // Compress the first run of zeros, whatever its length (the serializer wants the longest).
      const start = groups.indexOf(0);
      if (start >= 0) {
        let end = start;
        while (end < 8 && groups[end] === 0) end++;
        parts = [...parts.slice(0, start), '', ...parts.slice(end)];
        text = parts.join(':');
        if (start === 0) text = `:${text}`;
        if (end === 8) text = `${text}:`;
      }
    }
    return `[${upper ? text.toUpperCase() : text}]`;
  });
const ipv4Text = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((p) => p.join('.')),
  fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 5 }).map((p) => p.join('.')),
  fc.constantFrom('0x7f.0.0.1', '127.1', '127.000.0.1', '010.0.0.1', '4294967295', '1.2.3.4.'),
);
const label = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const domainText = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
  fc.constantFrom(
    'xn--bcher-kva.example',
    'bücher.example',
    'a..b',
    'a.b.',
    'A.EXAMPLE',
    'a%2eb.com',
    'a!b.com',
  ),
);
const portText = fc.oneof(
  fc.constant(''),
  fc.constantFrom(':', ':0', ':80', ':443', ':21', ':08080', ':65535', ':65536'),
  fc.integer({ min: 1, max: 70000 }).map((p) => `:${p}`),
);
const tail = fc.constantFrom('', '', '', '/', '/x', '?q', '#f');
const lowerDomain = fc
  .array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .map((l) => l.join('.'));
const canonicalIpv4 = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })
  .map((p) => p.join('.'));
const originLike = fc.oneof(
  fc
    .record({
      scheme: fc.constantFrom(...SPECIAL_SCHEMES),
      host: fc.oneof(lowerDomain, canonicalIpv4, ipv6Text),
      port: portText,
    })
    .map((o) => `${o.scheme}://${o.host}${o.port}`),
  fc
    .record({
      scheme: fc.oneof(fc.constantFrom(...SPECIAL_SCHEMES), fc.constantFrom('HTTPS', 'Http')),
      userinfo: fc.constantFrom('', '', '', 'u@', 'u:p@'),
      host: fc.oneof(domainText, ipv4Text, ipv6Text),
      port: portText,
      tail,
    })
    .map((o) => `${o.scheme}://${o.userinfo}${o.host}${o.port}${o.tail}`),
  fc.stringMatching(/^https?:\/\/[a-z0-9.:[\]/@%_-]{0,30}$/),
);

function urlOrigin(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

describe('property: parseSerializedOrigin agrees with WHATWG new URL(x).origin', () => {
  it('returns exactly the URL origin on every input both accept, and only fixed points', () => {
    let both = 0;
    fc.assert(
      fc.property(originLike, (text) => {
        const ours = parseSerializedOrigin(text);
        if (ours === null) return;
        // Anything we accept is already serialized: the URL parser gives it back unchanged.
        expect(serializeOrigin(ours)).toBe(text);
        const theirs = urlOrigin(text);
        if (theirs !== undefined) {
          both++;
          expect(theirs).toBe(text);
        }
      }),
      { numRuns: 5000 },
    );
    // The generator is built so that a good share of inputs is valid for both parsers.
    expect(both).toBeGreaterThan(500);
  });

  it('accepts every origin the URL parser serializes with a plain ASCII host', () => {
    const plainHost = /^([a-z0-9_-]{1,63})(\.[a-z0-9_-]{1,63})*$|^\[[0-9a-f:]+\]$/;
    let checked = 0;
    fc.assert(
      fc.property(originLike, (text) => {
        const theirs = urlOrigin(text);
        if (theirs === undefined) return;
        const host = new URL(theirs).hostname;
        if (!plainHost.test(host) || host.length > 253) return;
        checked++;
        expect(parseSerializedOrigin(theirs), theirs).not.toBeNull();
      }),
      { numRuns: 5000 },
    );
    expect(checked).toBeGreaterThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------
// The compiled matcher (hash set + reversed-label tree) against a naive reference matcher.

interface Entry {
  scheme: string;
  host: string;
  wildcard: boolean;
  port: number | null | 'any';
}
interface Origin {
  scheme: string;
  host: string;
  port: number | null;
}

const LABELS = ['a', 'b', 'ab', 'ba', 'x'];
const host = fc
  .array(fc.constantFrom(...LABELS), { minLength: 1, maxLength: 3 })
  .chain((labels) => fc.constantFrom('com', 'org').map((tld) => [...labels, tld].join('.')));
const scheme = fc.constantFrom('http', 'https');
const port = fc.constantFrom<number | null>(null, null, 8080, 8443);
const entry: fc.Arbitrary<Entry> = fc.record({
  scheme,
  host,
  wildcard: fc.boolean(),
  port: fc.oneof(port, fc.constant<'any'>('any')),
});
const origin: fc.Arbitrary<Origin> = fc.record({ scheme, host, port });

const entryText = (e: Entry) =>
  `${e.scheme}://${e.wildcard ? '*.' : ''}${e.host}${e.port === null ? '' : e.port === 'any' ? ':*' : `:${e.port}`}`;
const originText = (o: Origin) => `${o.scheme}://${o.host}${o.port === null ? '' : `:${o.port}`}`;

/** The plain reading of an allowlist: a loop over the entries, comparing parts. */
function referenceAllows(entries: readonly Entry[], anyOrigin: boolean, o: Origin): boolean {
  if (anyOrigin) return true;
  for (const e of entries) {
    if (e.scheme !== o.scheme) continue;
    if (e.port !== 'any' && e.port !== o.port) continue;
    if (e.wildcard ? o.host.endsWith(`.${e.host}`) : o.host === e.host) return true;
  }
  return false;
}

describe('property: allowed equals a naive reference matcher', () => {
  it('for random allowlists (exact, *., :*) and random origins, actual and preflight', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 12 }),
        fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
        fc.array(origin, { minLength: 1, maxLength: 10 }),
        (entries, anyOrigin, origins) => {
          const policy = createPolicy({ origins: [...entries.map(entryText), ...(anyOrigin ? ['*'] : [])] });
          for (const o of origins) {
            const want = referenceAllows(entries, anyOrigin, o);
            const text = originText(o);
            expect(policy.evaluate({ method: 'GET', origin: text }).allowed, text).toBe(want);
            expect(
              policy.evaluate({ method: 'OPTIONS', origin: text, accessControlRequestMethod: 'GET' }).allowed,
              text,
            ).toBe(want);
          }
        },
      ),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Random configurations and requests for the decision-level properties.

const configArb: fc.Arbitrary<CorsConfig> = fc
  .record({
    entries: fc.array(entry, { maxLength: 6 }),
    any: fc.boolean(),
    credentials: fc.boolean(),
    methods: fc.subarray(['PUT', 'DELETE', 'patch', '*']),
    requestHeaders: fc.subarray(['x-a', 'x-b', 'authorization', '*']),
    exposeHeaders: fc.subarray(['X-Total', '*']),
    maxAge: fc.option(fc.integer({ min: 0, max: 86_400 }), { nil: undefined }),
    preflightStatus: fc.constantFrom<200 | 204>(200, 204),
    privateNetwork: fc.boolean(),
    debug: fc.boolean(),
  })
  .map((c) => {
    const origins = c.entries.map((e) => entryText(c.credentials ? { ...e, scheme: 'https' } : e));
    if (c.any && !c.credentials) origins.push('*');
    const config: CorsConfig = {
      origins,
      credentials: c.credentials,
      methods: c.methods,
      requestHeaders: c.requestHeaders,
      exposeHeaders: c.credentials ? c.exposeHeaders.filter((h) => h !== '*') : c.exposeHeaders,
      preflightStatus: c.preflightStatus,
      privateNetwork: c.privateNetwork && !origins.includes('*'),
      debug: c.debug,
      ...(c.maxAge === undefined ? {} : { maxAge: c.maxAge }),
    };
    return config;
  })
  .filter((config) => validateConfig(config).every((i) => i.severity !== 'error'));

const requestOrigin = fc.oneof(
  origin.map(originText),
  origin.map(originText),
  fc.constantFrom('null', 'https://A.com', 'https://a.com/', 'https://a.com:443', ''),
  fc.array(origin.map(originText), { minLength: 2, maxLength: 2 }),
  fc.constant(undefined),
);
const requestArb: fc.Arbitrary<RequestFacts> = fc.record(
  {
    method: fc.constantFrom('GET', 'POST', 'OPTIONS', 'OPTIONS', 'PUT', 'patch'),
    origin: requestOrigin,
    accessControlRequestMethod: fc.constantFrom('PUT', 'DELETE', 'patch', 'PATCH', 'GET', 'PUT, GET'),
    accessControlRequestHeaders: fc.oneof(
      fc.constantFrom('x-a', 'x-a,x-b', 'X-B, x-a', 'authorization', 'x-c', ',,,', 'a;b'),
      fc.constant(['x-a', 'x-b']),
    ),
    accessControlRequestPrivateNetwork: fc.constantFrom('true', 'false'),
    host: fc.constantFrom('a.com', 'b.org:8080'),
    scheme: fc.constantFrom('http', 'https'),
    secFetchSite: fc.constantFrom('same-origin', 'cross-site', 'same-site'),
  },
  { requiredKeys: ['method'] },
);

describe('property: decisions', () => {
  it('never carries ACAO * together with ACAC', () => {
    fc.assert(
      fc.property(configArb, fc.array(requestArb, { minLength: 1, maxLength: 10 }), (config, requests) => {
        const policy = createPolicy(config);
        for (const request of requests) {
          const { headers } = policy.evaluate(request);
          if (headers['Access-Control-Allow-Credentials'] !== undefined) {
            expect(headers['Access-Control-Allow-Origin']).not.toBe('*');
          }
        }
      }),
      RUNS,
    );
  });

  it('decides interleaved (shuffled) requests exactly as each alone, even when callers mutate decisions', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(requestArb, { minLength: 2, maxLength: 20 }).chain((requests) =>
          fc.tuple(
            fc.constant(requests),
            fc.shuffledSubarray(
              requests.map((_, i) => i),
              { minLength: requests.length },
            ),
          ),
        ),
        (config, [requests, order]) => {
          // Each request alone, on a policy of its own.
          const alone = requests.map((r) => createPolicy(config).evaluate(r));
          const shared = createPolicy(config);
          for (const i of order) {
            const decision = shared.evaluate(requests[i]!) as {
              -readonly [K in keyof Decision]: Decision[K];
            };
            expect(decision).toStrictEqual(alone[i]);
            // A careless adapter mutates what it was handed; no later decision may see it.
            decision.headers['Access-Control-Allow-Origin'] = 'https://evil.example';
            decision.headers['X-Injected'] = '1';
            (decision.vary as string[]).push('Cookie');
            (decision.vary as string[]).length = 0;
            decision.allowed = !decision.allowed;
          }
          for (const i of order) expect(shared.evaluate(requests[i]!)).toStrictEqual(alone[i]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('createPolicy(policy.config()) decides identically to the original', () => {
    fc.assert(
      fc.property(configArb, fc.array(requestArb, { minLength: 1, maxLength: 15 }), (config, requests) => {
        const original = createPolicy(config);
        const copy = createPolicy(original.config());
        // The normalised configuration is a fixed point and plain JSON.
        expect(copy.config()).toStrictEqual(original.config());
        expect(JSON.parse(JSON.stringify(original.config()))).toStrictEqual(original.config());
        for (const request of requests)
          expect(copy.evaluate(request)).toStrictEqual(original.evaluate(request));
      }),
      RUNS,
    );
  });

  it('hands out a fresh configuration: mutating it changes nothing', () => {
    const policy = createPolicy({ origins: ['https://a.com'], methods: ['PUT'] });
    const config = policy.config();
    config.origins.push('https://evil.com');
    config.methods.push('DELETE');
    config.credentials = true;
    expect(policy.config()).toStrictEqual({
      origins: ['https://a.com'],
      credentials: false,
      methods: ['PUT'],
      requestHeaders: [],
      exposeHeaders: [],
      preflightStatus: 204,
      privateNetwork: false,
      debug: false,
      dangerouslyAllowNullOrigin: false,
      dangerouslyAllowInsecureOrigins: false,
      dangerouslyAllowPublicSuffixWildcards: false,
    });
    expect(policy.evaluate({ method: 'GET', origin: 'https://evil.com' }).allowed).toBe(false);
  });
});
