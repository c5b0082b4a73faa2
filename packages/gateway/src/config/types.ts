/** The gateway's resolved configuration: flags over the YAML file over defaults. */
import {
  type ConfigIssue,
  type CorsConfigWithoutOrigins,
  formatIssue,
  type IssueCode,
  type Problem,
} from 'corsgate';
import { formatPath } from 'corsgate/internal';
import type { AdminToken } from './admin-tokens.js';
import type { GatewayCode } from './codes.js';

export interface RouteConfig {
  /** As written: `/exact` or `/prefix/*`. */
  readonly path: string;
  /** The path without the trailing `*` when `prefix` is true. */
  readonly match: string;
  readonly prefix: boolean;
  /** The base policy with this route's overrides applied. */
  readonly policy: CorsConfigWithoutOrigins;
  /** Origins of this route; absent means the allowlist file's. */
  readonly origins?: readonly string[];
  readonly stripCookies: boolean;
}

export interface GatewayConfig {
  /** Upstream origin, e.g. `http://127.0.0.1:3000`. */
  readonly upstream: string;
  /** Path prefix of the upstream URL, without a trailing slash ('' for none). */
  readonly upstreamPath: string;
  /** Absolute path of the allowlist file, or a Redis source URL (docs/sources.md). */
  readonly allowlist: string;
  /** With a Redis source: the local cache of the last good version (`--allowlist-cache`). */
  readonly allowlistCache?: string;
  /** With a Redis source: poll, command and start timeouts (ms); absent ones take the defaults. */
  readonly allowlistRedis?: {
    readonly pollIntervalMs?: number;
    readonly commandTimeoutMs?: number;
    readonly startTimeoutMs?: number;
  };
  readonly host: string;
  readonly port: number;
  readonly adminHost: string;
  /** 0 disables the admin listener. */
  readonly adminPort: number;
  readonly tls?: { readonly cert: string; readonly key: string };
  /** 1 = no cluster. */
  readonly workers: number;
  readonly logLevel: string;
  readonly upstreamTimeoutMs: number;
  /** Upstream connections kept in the pool. */
  readonly upstreamConnections: number;
  /** How long a request may wait for a free upstream connection before a 503. */
  readonly upstreamQueueTimeoutMs: number;
  /** A request body must arrive whole within this long of the request's headers, or 408. */
  readonly requestTimeoutMs: number;
  /** Longest pause between two pieces of a request body, or 408. */
  readonly bodyIdleTimeoutMs: number;
  /** Largest request body read whole before it takes an upstream connection; 0 streams every body. */
  readonly requestBufferSize: number;
  /** Bytes all bodies being read whole may hold together; past it a body is refused 503. */
  readonly requestBufferMemory: number;
  /** The gateway's own serialized origins (`--public-origin`): the only same-origin callers by Origin. */
  readonly publicOrigins: readonly string[];
  /** Names the admin listener answers to besides its own address (`--admin-allowed-host`). */
  readonly adminAllowedHosts: readonly string[];
  readonly escapedPaths: 'reject' | 'unescape';
  readonly dangerouslyCaseSensitiveRoutes: boolean;
  readonly shutdownTimeoutMs: number;
  /** One pino line a request (method, path, status, origin, decision, upstream time). */
  readonly accessLog: boolean;
  /** A WebSocket quiet both ways this long is closed with 1001; 0 = never. */
  readonly websocketIdleTimeoutMs: number;
  /** With TLS: h2 and http/1.1 by ALPN (true), or http/1.1 only. */
  readonly http2: boolean;
  readonly policy: CorsConfigWithoutOrigins;
  readonly routes: readonly RouteConfig[];
  /** Named admin tokens (docs/console.md "Authentication"); empty: no writes, loopback reads only. */
  readonly adminTokens: readonly AdminToken[];
  /** The bounded audit log of applied changes; default beside the allowlist (`FILE.audit.jsonl`). */
  readonly auditFile: string;
  /** Decide and record as usual, block nothing (docs/console.md "Report-only"). */
  readonly reportOnly: boolean;
  /** A candidate list file evaluated beside the one in force, or undefined. */
  readonly candidateAllowlist?: string;
}

/** One problem in the configuration, located at a file position or a flag; printed by `formatProblem`. */
export interface ConfigProblem extends Problem {
  /** A gateway code, or the engine's / allowlist's code when the problem is in the CORS policy. */
  readonly code: GatewayCode | IssueCode;
  readonly severity: 'error' | 'warning';
  /** Where: `corsgate.yaml:12:7`, `--methods`, or `allowed_origins.list:3:1`. */
  readonly where: string;
  readonly message: string;
}

/** A route's policy problem, named by the route and the field: `route /api/* origins[2]: error …`. */
export function formatRouteIssue(route: string, found: ConfigIssue): string {
  return formatIssue(found, `route ${route} ${formatPath(found.path)}`);
}
