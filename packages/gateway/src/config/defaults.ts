/** The gateway's defaults: every one the closed or local choice (loopback listeners, no workers). */
export const DEFAULTS = {
  allowlist: './allowed_origins.list',
  host: '127.0.0.1',
  port: 8080,
  adminHost: '127.0.0.1',
  adminPort: 9901,
  logLevel: 'info',
  upstreamTimeoutMs: 30_000,
  websocketIdleTimeoutMs: 60_000,
  upstreamConnections: 256,
  upstreamQueueTimeoutMs: 5_000,
  requestTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 10_000,
  shutdownTimeoutMs: 10_000,
} as const;
