/**
 * The behaviour table: one request, the exact response every way in (the adapters, on each supported
 * framework major, and the gateway)
 * must give, and the reason of the one decision each makes for it. Header
 * expectations are exact: a name mapped to a string must appear once with that value, a name
 * mapped to null must be absent, and any Access-Control-* header not listed must be absent. `vary`
 * lists the Vary tokens (across all Vary lines), each exactly once, in any order. A way in that
 * cannot meet a row names the reason in `gaps`; the row is reported as skipped there, not forked.
 */
import type { CorsOptions } from '../../packages/corsgate/src/adapters/_shared.js';
import type { ReasonCode } from '../../packages/corsgate/src/engine/decision.js';
import type { WayInName } from './_ways-in.js';

export const POLICIES = {
  /** The benchmark's policy plus an exposed header: three exact origins, credentials. */
  credentialed: {
    origins: ['https://app.example.com', 'https://admin.example.com', 'http://localhost:5173'],
    credentials: true,
    methods: ['PUT', 'DELETE'],
    requestHeaders: ['Content-Type', 'Authorization', 'X-Requested-With'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
  },
  /** Any origin, no credentials: `*` and no Vary: Origin (R24). */
  public: {
    origins: ['*'],
    methods: ['PUT'],
    requestHeaders: ['Content-Type'],
  },
  /** The credentialed policy, refusing state-changing requests from origins it does not allow. */
  blocking: {
    origins: ['https://app.example.com', 'https://admin.example.com', 'http://localhost:5173'],
    credentials: true,
    methods: ['PUT', 'DELETE'],
    requestHeaders: ['Content-Type', 'Authorization', 'X-Requested-With'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
    blockDisallowedUnsafeRequests: true,
  },
} satisfies Record<string, CorsOptions>;

export interface Case {
  readonly description: string;
  readonly policy: keyof typeof POLICIES;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers?: readonly (readonly [string, string])[];
    readonly body?: string;
  };
  readonly expect: {
    /** The reason of the one decision every way in makes (docs/engine.md "Reason codes"). */
    readonly reason: ReasonCode;
    readonly status: number;
    readonly headers: Readonly<Record<string, string | null>>;
    readonly vary: readonly string[];
  };
  readonly gaps?: Partial<Record<WayInName, string>>;
}

const APP = 'https://app.example.com';
const ALLOWED_ACTUAL = {
  'access-control-allow-origin': APP,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'X-Request-Id',
};
const NO_CORS = {
  'access-control-allow-origin': null,
  'access-control-allow-credentials': null,
};
const ITEMS_APP = { 'x-app': 'kept', 'x-request-id': 'r1' };
const NOT_REACHED = { 'x-app': null };

export const CASES: readonly Case[] = [
  // Actual requests
  {
    description: 'adds the origin, credentials and exposed headers to a GET from a listed origin',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', APP]] },
    expect: {
      reason: 'origin-allowed',

      status: 200,
      headers: { ...ALLOWED_ACTUAL, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'adds CORS headers to a POST from a listed origin and keeps the app’s status',
    policy: 'credentialed',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'origin-allowed',
      status: 201,
      headers: { ...ALLOWED_ACTUAL, 'x-app': 'kept' },
      vary: ['Origin'],
    },
  },
  {
    description: 'adds only Vary: Origin to a GET from an origin that is not listed',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'https://evil.example.org']] },
    expect: {
      reason: 'origin-not-allowed',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'keeps Vary: Origin when the application sets Vary itself, replacing what was there',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/vary-set', headers: [['Origin', APP]] },
    expect: {
      reason: 'origin-allowed',
      status: 200,
      headers: { ...ALLOWED_ACTUAL },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'keeps Vary: Origin on a request without Origin when the application sets Vary itself',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/vary-set' },
    expect: {
      reason: 'not-cors',
      status: 200,
      headers: { ...NO_CORS },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'does not repeat Origin in Vary when the application already set Vary: origin',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/vary-origin', headers: [['Origin', 'https://evil.example.org']] },
    expect: {
      reason: 'origin-not-allowed',
      status: 200,
      headers: { ...NO_CORS },
      vary: ['origin'],
    },
  },
  {
    description: 'adds only Vary: Origin to a request without Origin',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items' },
    expect: {
      reason: 'not-cors',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'does not match a listed origin as a prefix of another host (suffix attack)',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'https://app.example.com.evil.org']] },
    expect: {
      reason: 'origin-not-allowed',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'refuses an upper-case origin, which no browser sends',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'https://APP.example.com']] },
    expect: {
      reason: 'origin-malformed',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'refuses the null origin unless dangerouslyAllowNullOrigin is set',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'null']] },
    expect: {
      reason: 'origin-null',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'refuses a request with two Origin lines, even when both are listed',
    policy: 'credentialed',
    request: {
      method: 'GET',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Origin', 'https://admin.example.com'],
      ],
    },
    expect: {
      reason: 'origin-multiple',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'refuses one Origin line holding two origins as two origins',
    policy: 'credentialed',
    request: {
      method: 'GET',
      path: '/api/items',
      headers: [['Origin', `${APP}, https://admin.example.com`]],
    },
    expect: {
      reason: 'origin-multiple',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'adds no CORS headers to a same-origin request (Origin equals scheme and Host)',
    policy: 'credentialed',
    request: {
      method: 'GET',
      path: '/api/items',
      headers: [
        ['Host', 'localhost:5173'],
        ['Origin', 'http://localhost:5173'],
      ],
    },
    expect: {
      reason: 'same-origin',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'adds no CORS headers when Sec-Fetch-Site says same-origin',
    policy: 'credentialed',
    request: {
      method: 'GET',
      path: '/api/items',
      // Sent to the host of a public origin: the gateway counts Sec-Fetch-Site only there
      // (docs/gateway.md "Security model"); the adapters count it anywhere.
      headers: [
        ['Host', 'localhost:5173'],
        ['Origin', APP],
        ['Sec-Fetch-Site', 'same-origin'],
      ],
    },
    expect: {
      reason: 'same-origin',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  // Error responses carry CORS headers, so the browser shows the real error
  {
    description: 'keeps CORS headers on the framework’s 404',
    policy: 'credentialed',
    request: { method: 'GET', path: '/nowhere', headers: [['Origin', APP]] },
    expect: {
      reason: 'origin-allowed',
      status: 404,
      headers: { ...ALLOWED_ACTUAL, 'x-app': null },
      vary: ['Origin'],
    },
  },
  {
    description: 'keeps CORS headers on the 500 answering a thrown error',
    policy: 'credentialed',
    request: { method: 'GET', path: '/api/error', headers: [['Origin', APP]] },
    expect: {
      reason: 'origin-allowed',
      status: 500,
      headers: { ...ALLOWED_ACTUAL, 'x-app': null },
      vary: ['Origin'],
    },
  },
  // Preflights
  {
    description: 'answers an allowed preflight with 204, the one method and the requested headers',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type,authorization'],
      ],
    },
    expect: {
      reason: 'origin-allowed',

      status: 204,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'PUT',
        'access-control-allow-headers': 'content-type,authorization',
        'access-control-max-age': '600',
        ...NOT_REACHED,
      },
      vary: ['Origin'],
    },
  },
  {
    description: 'answers a preflight for a safelisted method without Access-Control-Allow-Methods',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'GET'],
      ],
    },
    expect: {
      reason: 'origin-allowed',

      status: 204,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '600',
        ...NOT_REACHED,
      },
      vary: ['Origin'],
    },
  },
  {
    description: 'answers a preflight for a path no route serves, before routing',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/nowhere',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'DELETE'],
      ],
    },
    expect: {
      reason: 'origin-allowed',

      status: 204,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'DELETE',
        'access-control-max-age': '600',
        ...NOT_REACHED,
      },
      vary: ['Origin'],
    },
  },
  {
    description: 'refuses a preflight from an origin that is not listed with 403 and no CORS headers',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', 'https://evil.example.org'],
        ['Access-Control-Request-Method', 'PUT'],
      ],
    },
    expect: {
      reason: 'origin-not-allowed',

      status: 403,
      headers: { ...NO_CORS, 'access-control-allow-methods': null, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'refuses a preflight whose method is not listed',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PATCH'],
      ],
    },
    expect: {
      reason: 'method-not-allowed',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'refuses a preflight whose method differs from a listed one only in case',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'put'],
      ],
    },
    expect: {
      reason: 'method-not-allowed',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'refuses a preflight asking for a request header that is not listed',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type,x-custom'],
      ],
    },
    expect: {
      reason: 'headers-not-allowed',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'reads Access-Control-Request-Headers split over two lines as one list',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type'],
        ['Access-Control-Request-Headers', 'authorization'],
      ],
    },
    expect: {
      reason: 'origin-allowed',
      status: 204,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'PUT',
        'access-control-allow-headers': 'content-type,authorization',
        'access-control-max-age': '600',
        ...NOT_REACHED,
      },
      vary: ['Origin'],
    },
  },
  {
    description:
      'refuses a split Access-Control-Request-Headers when one of its lines names a header not listed',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type'],
        ['Access-Control-Request-Headers', 'x-other'],
      ],
    },
    expect: {
      reason: 'headers-not-allowed',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'refuses a preflight with two Origin lines even when both are listed',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Origin', APP],
        ['Access-Control-Request-Method', 'PUT'],
      ],
    },
    expect: {
      reason: 'origin-multiple',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'does not grant Private Network Access when the policy does not enable it',
    policy: 'credentialed',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'GET'],
        ['Access-Control-Request-Private-Network', 'true'],
      ],
    },
    expect: {
      reason: 'origin-allowed',

      status: 204,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-allow-credentials': 'true',
        'access-control-max-age': '600',
        'access-control-allow-private-network': null,
        ...NOT_REACHED,
      },
      vary: ['Origin'],
    },
  },
  // OPTIONS that are not preflights belong to the application (R2)
  {
    description: 'passes an OPTIONS without Access-Control-Request-Method to the application',
    policy: 'credentialed',
    request: { method: 'OPTIONS', path: '/api/items', headers: [['Origin', APP]] },
    expect: {
      reason: 'origin-allowed',

      status: 200,
      headers: { ...ALLOWED_ACTUAL, 'x-app': 'kept', allow: 'GET, POST, OPTIONS' },
      vary: ['Origin'],
    },
  },
  {
    description: 'passes an OPTIONS without Origin to the application',
    policy: 'credentialed',
    request: { method: 'OPTIONS', path: '/api/items', headers: [['Access-Control-Request-Method', 'PUT']] },
    expect: {
      reason: 'not-cors',

      status: 200,
      headers: { ...NO_CORS, 'x-app': 'kept', allow: 'GET, POST, OPTIONS' },
      vary: ['Origin'],
    },
  },
  // Any origin without credentials
  {
    description: 'sends * and no Vary: Origin to any origin when the policy allows all without credentials',
    gaps: { nginx: 'corsgate export nginx refuses a list holding * (CG_EXPORT_ANY_ORIGIN, docs/nginx.md)' },
    policy: 'public',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'https://anyone.example']] },
    expect: {
      reason: 'any-origin',

      status: 200,
      headers: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': null, ...ITEMS_APP },
      vary: ['Accept-Encoding'],
    },
  },
  {
    description: 'sends * to a request without Origin too, so shared caches stay correct',
    gaps: { nginx: 'corsgate export nginx refuses a list holding * (CG_EXPORT_ANY_ORIGIN, docs/nginx.md)' },
    policy: 'public',
    request: { method: 'GET', path: '/api/items' },
    expect: {
      reason: 'not-cors',

      status: 200,
      headers: { 'access-control-allow-origin': '*', ...ITEMS_APP },
      vary: ['Accept-Encoding'],
    },
  },
  {
    description: 'answers a preflight with * when the policy allows all without credentials',
    gaps: { nginx: 'corsgate export nginx refuses a list holding * (CG_EXPORT_ANY_ORIGIN, docs/nginx.md)' },
    policy: 'public',
    request: {
      method: 'OPTIONS',
      path: '/api/items',
      headers: [
        ['Origin', 'https://anyone.example'],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type'],
      ],
    },
    expect: {
      reason: 'any-origin',

      status: 204,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'PUT',
        'access-control-allow-headers': 'content-type',
        ...NOT_REACHED,
      },
      vary: [],
    },
  },
  // blockDisallowedUnsafeRequests: the gateway's rule, opt-in for middleware
  {
    description: 'blocks a POST from an origin that is not listed with 403, before the application',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Origin', 'https://evil.example.org'],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'origin-not-allowed',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'blocks a POST with two Origin lines',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Origin', 'https://evil.example.org'],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'origin-multiple',
      status: 403,
      headers: { ...NO_CORS, ...NOT_REACHED },
      vary: ['Origin'],
    },
  },
  {
    description: 'lets a GET from an origin that is not listed reach the application when blocking',
    policy: 'blocking',
    request: { method: 'GET', path: '/api/items', headers: [['Origin', 'https://evil.example.org']] },
    expect: {
      reason: 'origin-not-allowed',
      status: 200,
      headers: { ...NO_CORS, ...ITEMS_APP },
      vary: ['Origin', 'Accept-Encoding'],
    },
  },
  {
    description: 'lets a POST from a listed origin through when blocking',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Origin', APP],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'origin-allowed',
      status: 201,
      headers: { ...ALLOWED_ACTUAL, 'x-app': 'kept' },
      vary: ['Origin'],
    },
  },
  {
    description: 'lets a same-origin POST through when blocking',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Host', 'localhost:5173'],
        ['Origin', 'http://localhost:5173'],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'same-origin',
      status: 201,
      headers: { ...NO_CORS, 'x-app': 'kept' },
      vary: ['Origin'],
    },
  },
  {
    description: 'lets a POST marked Sec-Fetch-Site: same-origin through when blocking',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [
        ['Host', 'localhost:5173'],
        ['Origin', 'https://front.example.net'],
        ['Sec-Fetch-Site', 'same-origin'],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
    },
    expect: {
      reason: 'same-origin',
      status: 201,
      headers: { ...NO_CORS, 'x-app': 'kept' },
      vary: ['Origin'],
    },
  },
  {
    description: 'lets a POST without Origin through when blocking (not a CORS request)',
    policy: 'blocking',
    request: {
      method: 'POST',
      path: '/api/items',
      headers: [['Content-Type', 'application/json']],
      body: '{}',
    },
    expect: {
      reason: 'not-cors',
      status: 201,
      headers: { ...NO_CORS, 'x-app': 'kept' },
      vary: ['Origin'],
    },
  },
];
