/**
 * The zoo: real servers on 127.0.0.1, each wrong in one known way (or right), for `corsgate scan`.
 * Each is what people actually deploy: the `cors` package, Express, node:http handlers with the
 * origin checks found in the wild, real nginx, and corsgate itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as legacyParse } from 'node:url';
import cors from 'cors';
import { cors as corsgateExpress } from 'corsgate/express';
import { cors as corsgateNode } from 'corsgate/node';
import express from 'express';
import { freePort } from '../helpers.js';

export const APP = 'https://app.example.com';

export interface ZooServer {
  /** The resource to scan. */
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(server: Server, scheme = 'http'): Promise<ZooServer> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${scheme}://127.0.0.1:${port}/api/items`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** An Express app: the CORS middleware given, one route, Express's own 404 for the rest. */
export function expressApp(
  middleware: express.RequestHandler,
  scope: 'app' | 'route' = 'app',
): Promise<ZooServer> {
  const app = express();
  if (scope === 'app') app.use(middleware);
  const handlers: express.RequestHandler[] = scope === 'route' ? [middleware] : [];
  // Per-route CORS as the cors README shows it: the route and its preflight, nothing else.
  if (scope === 'route') app.options('/api/items', middleware);
  app.get('/api/items', ...handlers, (_req, res) => {
    res.json({ items: [] });
  });
  return listen(createHttpServer(app));
}

/**
 * A node:http server whose CORS answer is `decide(origin)`: the ACAO to send (or none), with
 * credentials, Vary: Origin whenever it depends on Origin, and preflights answered alike.
 */
export function handwritten(
  decide: (origin: string) => boolean,
  options: { preflight?: (req: IncomingMessage, res: ServerResponse) => void } = {},
): Promise<ZooServer> {
  return listen(
    createHttpServer((req, res) => {
      const origin = req.headers.origin;
      res.setHeader('Vary', 'Origin');
      if (origin !== undefined && decide(origin)) {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Credentials', 'true');
      }
      if (req.method === 'OPTIONS') {
        if (options.preflight !== undefined) options.preflight(req, res);
        else {
          res.setHeader('Access-Control-Allow-Methods', 'GET, PUT');
          res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
        }
        res.statusCode = 204;
        res.end();
        return;
      }
      res.statusCode = req.url === '/api/items' ? 200 : 404;
      res.end(res.statusCode === 200 ? '{"items":[]}' : 'not found');
    }),
  );
}

/** The same handler behind TLS, with a certificate made now by openssl for 127.0.0.1. */
export async function httpsHandwritten(
  decide: (origin: string) => boolean,
): Promise<ZooServer & { ca: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-zoo-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const server = createHttpsServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
    const origin = req.headers.origin;
    res.setHeader('Vary', 'Origin');
    if (origin !== undefined && decide(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.statusCode = req.url === '/api/items' || req.method === 'OPTIONS' ? 200 : 404;
    res.end();
  });
  const zoo = await listen(server as unknown as Server, 'https');
  writeFileSync(join(dir, 'ca.pem'), cert);
  return {
    ...zoo,
    ca: join(dir, 'ca.pem'),
    close: async () => {
      await zoo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Origin checks as they are written in the wild, each with its one mistake. */
export const CHECKS = {
  /** Go's strings.HasPrefix(origin, "https://app.example.com"), in any language. */
  prefix: (o: string) => o.startsWith(APP),
  /** origin.endsWith("example.com"): the domain without its leading dot. */
  suffix: (o: string) => o.endsWith('example.com'),
  /** origin.includes("app.example.com"). */
  substring: (o: string) => o.includes('app.example.com'),
  /** Every subdomain of the company's domain, when one app was meant. */
  subdomains: (o: string) => o === APP || /^https:\/\/[a-z0-9-]+\.example\.com$/.test(o),
  /** Node's legacy url.parse stops the host at ` and }, so the check sees app.example.com. */
  legacyUrlParse: (o: string) => legacyParse(o).hostname === 'app.example.com',
  /** The https origin and its http twin. */
  httpToo: (o: string) => o === APP || o === 'http://app.example.com',
  exact: (o: string) => o === APP,
} as const;

/** Real nginx with `if ($http_origin ~ …) { add_header … always; }` and no Vary, as often posted. */
export async function nginxWithoutVary(): Promise<ZooServer> {
  const dir = mkdtempSync(join(tmpdir(), 'corsgate-zoo-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /api/ {
      if ($http_origin ~ '^https://app\\.example\\.com$') {
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Credentials true always;
      }
      return 200 '{"items":[]}';
    }
  }
}
`,
  );
  // Debian installs it in /usr/sbin, which a non-root PATH may lack.
  const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const proc = spawn(bin, ['-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/api/items`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}/api/items`,
    close: async () => {
      proc.kill('SIGQUIT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** corsgate's node:http adapter, strict: one origin, credentials, PUT; 404 off the route. */
export function corsgateNodeServer(): Promise<ZooServer> {
  const handle = corsgateNode({ origins: [APP], credentials: true, methods: ['PUT'] });
  return listen(
    createHttpServer((req, res) => {
      if (handle(req, res)) return;
      res.statusCode = req.url === '/api/items' ? 200 : 404;
      res.end();
    }),
  );
}

export { cors, corsgateExpress };
