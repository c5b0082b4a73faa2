/**
 * The flags `serve` (and the commands that load a policy) pass to the config loader. A module of
 * its own, below `load.ts` and every `config/*` module that reads a flag, so none of them imports
 * the loader that imports them.
 */

/** What the command line gave, already typed; `undefined` means "not given". */
export interface FlagValues {
  upstream?: string;
  allowlist?: string;
  allowlistCache?: string;
  host?: string;
  port?: string;
  adminHost?: string;
  adminPort?: string;
  credentials?: boolean;
  methods?: string;
  requestHeaders?: string;
  exposeHeaders?: string;
  maxAge?: string;
  preflightStatus?: string;
  workers?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  upstreamTimeout?: string;
  config?: string;
  adminTokenFile?: string;
  auditFile?: string;
  accessLog?: boolean;
  websocketIdleTimeout?: string;
  reportOnly?: boolean;
  candidateAllowlist?: string;
  noHttp2?: boolean;
  upstreamConnections?: string;
  upstreamQueueTimeout?: string;
  requestTimeout?: string;
  bodyIdleTimeout?: string;
  requestBufferSize?: string;
  requestBufferMemory?: string;
  /** `--public-origin`, repeatable. */
  publicOrigins?: string[];
  /** `--admin-allowed-host`, repeatable. */
  adminAllowedHosts?: string[];
  escapedPaths?: string;
  dangerouslyCaseSensitiveRoutes?: boolean;
}
