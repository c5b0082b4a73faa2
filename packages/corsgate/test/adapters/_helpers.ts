import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export { headerValues, rawRequest, varyTokens } from '../../../../test/conformance/_raw-http.js';

export const APP = 'https://app.example.com';
export const CONFIG = {
  origins: [APP],
  credentials: true,
  methods: ['PUT', 'DELETE'],
  requestHeaders: ['Content-Type', 'Authorization'],
  maxAge: 600,
};
export const PREFLIGHT: [string, string][] = [
  ['Origin', APP],
  ['Access-Control-Request-Method', 'PUT'],
  ['Access-Control-Request-Headers', 'authorization'],
];

export interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on an ephemeral loopback port. */
export async function listen(server: Server): Promise<Running> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serves a fetch handler with @hono/node-server on an ephemeral loopback port. */
export function serveFetch(fetch: (request: Request) => Response | Promise<Response>): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as Server).closeAllConnections();
          }),
      });
    });
  });
}
