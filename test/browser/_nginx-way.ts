/**
 * nginx running `corsgate export nginx` (docs/nginx.md) as a way in for the browser matrix: the
 * same YAML configuration the gateway way in writes, exported, and Debian's nginx on it in front
 * of the counting API. A policy the exporter refuses (`*`, `debug`) never starts: its rows are
 * gaps (matrix-nginx.test.ts); a list change is --watch's job, proven in
 * packages/gateway/test/export-nginx-watch.test.ts.
 */
import { createServer } from 'node:http';
import { exportAndStart } from '../../packages/gateway/test/nginx-export.js';
import { appHandler, closeServer, listen } from './_servers.js';
import type { Feature, WayIn } from './_ways-in.js';

export const nginxWay: WayIn = {
  name: 'nginx + corsgate export',
  features: new Set<Feature>(['block-unsafe', 'upstream']),
  gapReasons: {
    reload: 'nginx takes a new list from corsgate export nginx --watch (export-nginx-watch.test.ts)',
  },
  async start(config, log) {
    const upstream = createServer(appHandler(log));
    const upstreamPort = await listen(upstream);
    const { origins, ...policy } = config;
    const files = {
      'allowed_origins.list': `${(origins ?? []).join('\n')}\n`,
      'corsgate.yaml': JSON.stringify({
        upstream: `http://127.0.0.1:${upstreamPort}`,
        allowlist: 'allowed_origins.list',
        policy,
      }),
    };
    let nginx: Awaited<ReturnType<typeof exportAndStart>>;
    try {
      nginx = await exportAndStart(['--config', 'corsgate.yaml'], files);
    } catch (error) {
      await closeServer(upstream);
      throw error;
    }
    return {
      port: nginx.port,
      async close() {
        await nginx.stop();
        await closeServer(upstream);
      },
    };
  },
};
