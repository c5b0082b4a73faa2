/**
 * The limits and checks against hostile clients (docs/gateway.md "Security model", "Slow
 * clients", "Paths"): the gateway's own origins, the admin listener's names, how escaped paths
 * are treated, route case, and the pool and client-side deadlines.
 */
import { DEFAULTS, MAX_REQUEST_BUFFER, MAX_REQUEST_BUFFER_MEMORY } from './defaults.js';
import type { Path } from './file.js';
import type { FlagValues } from './flags.js';
import { wholeNumberFlag } from './listen.js';
import type { FileConfig } from './schema.js';
import type { ConfigProblem, GatewayConfig } from './types.js';

type Hardening = Pick<
  GatewayConfig,
  | 'upstreamConnections'
  | 'upstreamQueueTimeoutMs'
  | 'requestTimeoutMs'
  | 'bodyIdleTimeoutMs'
  | 'requestBufferSize'
  | 'requestBufferMemory'
  | 'publicOrigins'
  | 'adminAllowedHosts'
  | 'escapedPaths'
  | 'dangerouslyCaseSensitiveRoutes'
>;

const DAY_MS = 86_400_000;

export function hardeningOptions(
  flags: FlagValues,
  file: FileConfig,
  fileAt: (path: Path) => string,
  problems: ConfigProblem[],
): Hardening {
  const number = (name: string, value: string | undefined, min: number, max: number) =>
    wholeNumberFlag(problems, name, value, min, max);
  const escapedPaths = flags.escapedPaths ?? file.escapedPaths ?? 'reject';
  if (escapedPaths !== 'reject' && escapedPaths !== 'unescape')
    problems.push({
      code: 'CG_GATEWAY_FLAG',
      severity: 'error',
      where: '--escaped-paths',
      message: `"${escapedPaths}" is not reject or unescape`,
    });
  return {
    upstreamConnections:
      number('--upstream-connections', flags.upstreamConnections, 1, 65_536) ??
      file.upstreamConnections ??
      DEFAULTS.upstreamConnections,
    upstreamQueueTimeoutMs:
      number('--upstream-queue-timeout', flags.upstreamQueueTimeout, 1, DAY_MS) ??
      file.upstreamQueueTimeoutMs ??
      DEFAULTS.upstreamQueueTimeoutMs,
    requestTimeoutMs:
      number('--request-timeout', flags.requestTimeout, 1, DAY_MS) ??
      file.requestTimeoutMs ??
      DEFAULTS.requestTimeoutMs,
    bodyIdleTimeoutMs:
      number('--body-idle-timeout', flags.bodyIdleTimeout, 1, DAY_MS) ??
      file.bodyIdleTimeoutMs ??
      DEFAULTS.bodyIdleTimeoutMs,
    requestBufferSize:
      number('--request-buffer-size', flags.requestBufferSize, 0, MAX_REQUEST_BUFFER) ??
      file.requestBufferSize ??
      DEFAULTS.requestBufferSize,
    requestBufferMemory:
      number('--request-buffer-memory', flags.requestBufferMemory, 1, MAX_REQUEST_BUFFER_MEMORY) ??
      file.requestBufferMemory ??
      DEFAULTS.requestBufferMemory,
    publicOrigins: checkPublicOrigins(
      flags.publicOrigins ?? file.publicOrigins ?? [],
      (i) => (flags.publicOrigins !== undefined ? '--public-origin' : fileAt(['publicOrigins', i])),
      problems,
    ),
    adminAllowedHosts: (flags.adminAllowedHosts ?? file.admin?.allowedHosts ?? []).map((h) =>
      h.toLowerCase(),
    ),
    escapedPaths: escapedPaths === 'unescape' ? 'unescape' : 'reject',
    dangerouslyCaseSensitiveRoutes:
      flags.dangerouslyCaseSensitiveRoutes ?? file.dangerouslyCaseSensitiveRoutes ?? false,
  };
}

/**
 * The gateway's own origins, as a browser serializes them (`https://app.example.com`, a port only
 * when not the default). Same-origin is decided on these, never on `Host` (docs/gateway.md
 * "Security model": a rebinding page brings a Host of its own choosing).
 */
function checkPublicOrigins(
  values: readonly string[],
  where: (index: number) => string,
  problems: ConfigProblem[],
): string[] {
  const out: string[] = [];
  values.forEach((value, index) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== value
    ) {
      const hint = url !== undefined && url.origin !== 'null' ? ` (write "${url.origin}")` : '';
      problems.push({
        code: 'CG_GATEWAY_PUBLIC_ORIGIN',
        severity: 'error',
        where: where(index),
        message: `"${value}" is not an origin as a browser sends it: scheme://host[:port], lower case, no path${hint}`,
      });
      return;
    }
    out.push(value);
  });
  return out;
}
