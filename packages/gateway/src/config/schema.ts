/**
 * The gateway's configuration: what `--config FILE` (YAML) and the flags both turn into.
 * The CORS part of each policy is the library's own `CorsConfig` (minus `origins`, which come from
 * the allowlist file unless a route lists its own); the engine validates it, not this schema, so
 * there is one source of truth for CORS rules. This schema checks only the gateway's own shape.
 */
import { z } from 'zod';
import { MAX_REQUEST_BUFFER, MAX_REQUEST_BUFFER_MEMORY } from './defaults.js';

/** CORS fields, checked for shape here and for meaning by the engine (`validateConfig`). */
const corsFields = {
  credentials: z.boolean().optional(),
  methods: z.array(z.string()).optional(),
  requestHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: z.number().optional(),
  preflightStatus: z.union([z.literal(200), z.literal(204)]).optional(),
  privateNetwork: z.boolean().optional(),
  debug: z.boolean().optional(),
  dangerouslyAllowNullOrigin: z.boolean().optional(),
  dangerouslyAllowInsecureOrigins: z.boolean().optional(),
  dangerouslyAllowPublicSuffixWildcards: z.boolean().optional(),
};

export const policySchema = z.strictObject(corsFields);

export const routeSchema = z.strictObject({
  /** `/exact`, or `/prefix/*` (the prefix itself and everything below it). */
  path: z.string(),
  /** Fields that override the base policy on this route. */
  policy: policySchema.optional(),
  /** Origins for this route instead of the allowlist file (e.g. `["*"]` on `/public/*`). */
  origins: z.array(z.string()).optional(),
  /** Remove `Cookie` before forwarding (a cross-site page cannot ride a session cookie). */
  stripCookies: z.boolean().optional(),
});

const port = z.number().int().min(0).max(65535);

export const fileSchema = z.strictObject({
  upstream: z.string().optional(),
  allowlist: z.string().optional(),
  allowlistCache: z.string().optional(),
  /** Tuning of a Redis allowlist source (docs/sources.md); the defaults suit most fleets. */
  allowlistRedis: z
    .strictObject({
      pollIntervalMs: z.number().int().min(100).max(3_600_000).optional(),
      commandTimeoutMs: z.number().int().min(50).max(60_000).optional(),
      startTimeoutMs: z.number().int().min(0).max(60_000).optional(),
    })
    .optional(),
  listen: z
    .strictObject({
      host: z.string().optional(),
      port: port.optional(),
      tls: z.strictObject({ cert: z.string(), key: z.string() }).optional(),
      /** With tls: offer h2 beside http/1.1 by ALPN (default true). */
      http2: z.boolean().optional(),
    })
    .optional(),
  admin: z
    .strictObject({
      host: z.string().optional(),
      port: port.optional(),
      /** Host names (besides its own address) the admin listener answers to. */
      allowedHosts: z.array(z.string()).optional(),
    })
    .optional(),
  /** The gateway's own origins as browsers see them (`https://app.example.com`): same-origin callers. */
  publicOrigins: z.array(z.string()).optional(),
  /** `%2F`, `%5C` and `%2E` dot segments in a path: refused with 400, or unescaped and normalised. */
  escapedPaths: z.enum(['reject', 'unescape']).optional(),
  /** Match route paths case-sensitively (another spelling may then escape a route). */
  dangerouslyCaseSensitiveRoutes: z.boolean().optional(),
  workers: z.union([z.number().int().min(1).max(256), z.literal('auto')]).optional(),
  /** One JSON line a request on stdout (docs/deploy.md "Access log"). */
  accessLog: z.boolean().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  upstreamTimeoutMs: z.number().int().min(1).optional(),
  /** A WebSocket with no byte either way this long is closed (1001); 0 = never (docs/websocket.md). */
  websocketIdleTimeoutMs: z.number().int().min(0).optional(),
  upstreamConnections: z.number().int().min(1).max(65_536).optional(),
  upstreamQueueTimeoutMs: z.number().int().min(1).optional(),
  requestTimeoutMs: z.number().int().min(1).optional(),
  bodyIdleTimeoutMs: z.number().int().min(1).optional(),
  requestBufferSize: z.number().int().min(0).max(MAX_REQUEST_BUFFER).optional(),
  requestBufferMemory: z.number().int().min(1).max(MAX_REQUEST_BUFFER_MEMORY).optional(),
  shutdownTimeoutMs: z.number().int().min(0).optional(),
  policy: policySchema.optional(),
  routes: z.array(routeSchema).optional(),
});

export type FileConfig = z.infer<typeof fileSchema>;
export type PolicyFields = z.infer<typeof policySchema>;
