/** Largest `--request-buffer-size`: a body larger than this is always streamed (1 GiB). */
export const MAX_REQUEST_BUFFER = 1024 * 1024 * 1024;
/** Largest `--request-buffer-memory` (16 GiB). */
export const MAX_REQUEST_BUFFER_MEMORY = 16 * 1024 * 1024 * 1024;

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
  // 64 KiB holds the usual JSON or form body; 300 clients trickling such bodies hold ~19 MiB, under
  // the 32 MiB all buffered bodies may take (docs/gateway.md "Slow clients").
  requestBufferSize: 64 * 1024,
  requestBufferMemory: 32 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
} as const;
