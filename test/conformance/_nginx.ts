/**
 * nginx as a way in: `corsgate export nginx` of the same configuration the gateway runs
 * (_gateway.ts), in real nginx from Debian in front of the conformance application on plain
 * node:http (docs/nginx.md). The reason of each decision is `$corsgate_reason`, which nginx writes
 * to an access log of its own; a policy the exporter refuses (`*`) starts nothing, and the rows
 * that need it name the gap (cases.ts).
 */

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { CorsOptions, MiddlewareOptions } from '../../packages/corsgate/src/adapters/_shared.js';
import type { CorsConfig } from '../../packages/corsgate/src/engine/policy.js';
import { exportAndStart } from '../../packages/gateway/test/nginx-export.js';
import { rawRequest } from './_raw-http.js';
import { listen, nodeApp, type WayIn } from './_ways-in.js';

const REASON_LOG =
  "log_format corsgate_reason '$corsgate_reason';\n  access_log $DIR/reasons.log corsgate_reason;";

/** The log's lines after the first `seen`, once nginx has written one more (it logs after answering). */
async function reasonsAfter(path: string, seen: number): Promise<string[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    if (lines.length > seen || Date.now() > deadline) return lines.slice(seen);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const nginx: WayIn = {
  name: 'nginx',
  async start(options: CorsOptions) {
    const {
      origins,
      blockDisallowedUnsafeRequests: _alwaysBlocks,
      ...policy
    } = options as CorsConfig & MiddlewareOptions;
    if (origins?.includes('*'))
      return {
        baseUrl: '',
        send: () => Promise.reject(new Error('not exportable (CG_EXPORT_ANY_ORIGIN): the row names the gap')),
        close: async () => {},
      };
    const upstream = await listen(
      createServer((req, res) => {
        try {
          nodeApp(req, res);
        } catch {
          res.statusCode = 500;
          res.end('Internal Server Error');
        }
      }),
    );
    const files = {
      'allowed_origins.list': `${(origins ?? []).join('\n')}\n`,
      'corsgate.yaml': JSON.stringify({
        upstream: upstream.baseUrl,
        allowlist: 'allowed_origins.list',
        publicOrigins: ['http://localhost:5173'],
        policy,
      }),
    };
    const running = await exportAndStart(['--config', 'corsgate.yaml'], files, REASON_LOG);
    const log = `${running.dir.dir}/reasons.log`;
    return {
      baseUrl: running.url,
      async send(request) {
        const seen = readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '').length;
        const response = await rawRequest(running.url, request);
        return { response, reasons: await reasonsAfter(log, seen) };
      },
      async close() {
        await running.stop();
        await upstream.close();
      },
    };
  },
};
