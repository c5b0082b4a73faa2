/**
 * The ways in that the matrix judges. Each one is started once per policy variant in front of (or
 * around) the counting application, and behind the counting front door. A way in lists the
 * features it has; a case that needs a missing feature is reported as a gap, never forked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type CorsConfig, createPolicy, type Policy } from 'corsgate';
import { closeServer, listen } from './_servers.js';

/**
 * - `reload`: the allowlist can change while the way in runs (hot-reloaded file or equivalent).
 * - `block-unsafe`: a state-changing request from a refused origin never reaches the application.
 * - `upstream`: there is a separate upstream whose failure the way in reports (502).
 */
export type Feature = 'reload' | 'block-unsafe' | 'upstream';

export type AppHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Running {
  /** Where the way in listens on 127.0.0.1. */
  readonly port: number;
  /** Replaces the allowed origins (feature `reload`); resolves once the new list is in force. */
  setOrigins?(origins: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface WayIn {
  readonly name: string;
  readonly features: ReadonlySet<Feature>;
  /** Why a feature is missing, for the gap note in the report. */
  readonly gapReasons?: Partial<Record<Feature, string>>;
  start(config: CorsConfig, app: AppHandler): Promise<Running>;
}

/** The request facts a node:http request carries (R2: ACRM decides preflight; R3.2: one Origin line). */
export function factsOf(req: IncomingMessage, scheme: 'http' | 'https' = 'http') {
  const d = req.headersDistinct;
  return {
    method: req.method ?? 'GET',
    origin: d['origin'],
    accessControlRequestMethod: d['access-control-request-method'],
    accessControlRequestHeaders: d['access-control-request-headers'],
    host: req.headers.host,
    scheme,
    secFetchSite: req.headers['sec-fetch-site'],
  };
}

/**
 * The reference way in: a bare node:http server that applies `createPolicy(...).evaluate` exactly
 * as the Decision contract says (set `headers`, append `vary`, answer preflights with `status`),
 * with nothing else. It lets the whole matrix run before any adapter exists, and it isolates engine
 * bugs from adapter bugs.
 */
export const reference: WayIn = {
  name: 'reference (node:http + engine)',
  features: new Set<Feature>(['reload']),
  gapReasons: {
    'block-unsafe':
      'the bare engine only decides CORS headers; blocking refused unsafe requests is the gateway’s job',
    upstream: 'the application runs in-process; there is no upstream to fail',
  },
  async start(config, app) {
    let policy: Policy = createPolicy(config);
    const server = createServer((req, res) => {
      const decision = policy.evaluate(factsOf(req));
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
      if (decision.vary.length > 0) res.appendHeader('Vary', decision.vary.join(', '));
      if (decision.kind === 'preflight') {
        res.statusCode = decision.status ?? 403;
        res.end();
        return;
      }
      app(req, res);
    });
    const port = await listen(server);
    return {
      port,
      async setOrigins(origins) {
        policy = createPolicy({ ...config, origins });
      },
      close: () => closeServer(server),
    };
  },
};

export const WAYS_IN: readonly WayIn[] = [reference];
