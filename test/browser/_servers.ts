/**
 * The loopback servers of the browser suite: the page server (one blank page per origin), the
 * counting application that plays the API or the upstream, and the counting front door that sits
 * before every way in so the suite can count preflights even when the way in answers them itself.
 */
import {
  createServer as createHttp,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Tls } from './_chromium.js';

export function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const BLANK =
  '<!doctype html><html><head><meta charset="utf-8"><title>page</title></head><body></body></html>';
const SANDBOX =
  '<!doctype html><html><head><meta charset="utf-8"><title>sandbox</title></head><body>' +
  '<iframe name="sandboxed" sandbox="allow-scripts" srcdoc="<!doctype html><title>sandboxed</title>"></iframe>' +
  '</body></html>';

// A data: URL document embedded by the page: its origin is opaque (null) but, unlike a top-level
// data: document, it inherits the page's loopback address space, so Local Network Access does not
// block it before CORS gets a say.
const DATA_FRAME =
  '<!doctype html><html><head><meta charset="utf-8"><title>data frame</title></head><body>' +
  '<iframe name="data" src="data:text/html,%3C!doctype%20html%3E%3Ctitle%3Edata%3C/title%3E"></iframe>' +
  '</body></html>';

function pageHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/favicon.ico') {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(path === '/sandbox' ? SANDBOX : path === '/data-frame' ? DATA_FRAME : BLANK);
}

export interface PageServers {
  /** Two plain-http ports (so the port of a page origin can vary) and one https port. */
  readonly http1: number;
  readonly http2: number;
  readonly https: number;
  close(): Promise<void>;
}

export async function startPageServers(tls: Tls): Promise<PageServers> {
  const a = createHttp(pageHandler);
  const b = createHttp(pageHandler);
  const s = createHttps({ key: tls.key, cert: tls.cert }, pageHandler) as unknown as Server;
  const [http1, http2, https] = await Promise.all([listen(a), listen(b), listen(s)]);
  return {
    http1,
    http2,
    https,
    close: async () => {
      await Promise.all([closeServer(a), closeServer(b), closeServer(s)]);
    },
  };
}

/** One request as a server saw it. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The status the front door relayed (unset until the answer's head has gone back). */
  status?: number;
}

/** A log of requests, filtered by path prefix (every case run uses its own prefix). */
export class Log {
  readonly entries: Seen[] = [];
  record(req: { method?: string | undefined; url?: string | undefined; headers: Seen['headers'] }): Seen {
    const seen: Seen = { method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } };
    this.entries.push(seen);
    return seen;
  }
  under(prefix: string): Seen[] {
    return this.entries.filter((e) => e.path.startsWith(prefix));
  }
  count(prefix: string, method?: string): number {
    return this.under(prefix).filter((e) => method === undefined || e.method === method).length;
  }
}

/** What the API answers, framework-neutral; each way in renders it with its framework's own API. */
export type AppAnswer =
  | { readonly drop: true }
  | {
      readonly drop?: false;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    };

export interface AppRequest {
  readonly method: string;
  /** Path and query, as on the request line. */
  readonly url: string;
  readonly cookie: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

/**
 * The API behind every way in. It answers with a JSON echo, a header the policies expose
 * (`X-Exposed`), one they never expose (`X-Hidden`), and, on `?cookie=set`, a cookie. `/fail`
 * drops the connection so a gateway must answer 502. It never sets CORS headers itself: what the
 * browser sees about CORS comes from the way in. The caller records the request in the log first.
 */
export function appAnswer(req: AppRequest): AppAnswer {
  const url = new URL(req.url, 'http://upstream');
  if (url.pathname.endsWith('/fail')) return { drop: true };
  const headers: Record<string, string> = {
    // With the charset spelled out, so no framework adds one of its own.
    'content-type': 'application/json; charset=utf-8',
    'x-exposed': 'yes',
    'x-hidden': 'secret',
  };
  if (url.searchParams.get('cookie') === 'set') {
    // Scoped to the row's own directory: rows run side by side, and WebKit's pages share one
    // cookie jar (a jar is per host, not per port).
    const dir = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
    headers['set-cookie'] = `sid=${url.searchParams.get('value') ?? 'v'}; Path=${dir}; HttpOnly`;
  }
  return {
    status: 200,
    headers,
    body: JSON.stringify({
      method: req.method,
      path: url.pathname,
      cookie: req.cookie ?? null,
      authorization: req.authorization ?? null,
      body: req.body,
    }),
  };
}

/** The API as a node:http handler (the reference way in, the node adapter, Express, the gateway's upstream). */
export function appHandler(log: Log) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    log.record(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = appAnswer({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        cookie: req.headers.cookie,
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (answer.drop) {
        req.socket.destroy();
        return;
      }
      // setHeader keeps whatever CORS headers the way in already set on this response.
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      res.statusCode = answer.status;
      res.end(answer.body);
    });
  };
}

/**
 * A transparent counting front door: records every request line, then forwards it byte-for-byte
 * in header terms (raw header lines, so duplicates survive) to the way in, and relays the answer
 * with its raw header lines. This is where "no preflight was sent" is counted, for every way in
 * alike, including the gateway that answers preflights itself.
 */
export interface FrontDoor {
  /** Plain http, for http pages. */
  readonly port: number;
  /** TLS with the suite's certificate, so an https page can call without mixed content. */
  readonly tlsPort: number;
  close(): Promise<void>;
}

export async function startFrontDoor(targetPort: number, log: Log, tls: Tls): Promise<FrontDoor> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const seen = log.record(req);
    const upstream = request(
      {
        host: '127.0.0.1',
        port: targetPort,
        method: req.method,
        path: req.url,
        headers: req.rawHeaders,
        setHost: false,
        // A connection of its own per request: a kept-alive one can be closed by the way in (its
        // 5 s keep-alive) just as the next request goes out on it, which would fail a row for
        // something no browser sees.
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        seen.status = answer.statusCode ?? 502;
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      seen.status ??= 599;
      if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
      res.end('front door: the way in dropped the connection');
    });
    req.pipe(upstream);
  };
  const plain = createHttp(handler);
  const secure = createHttps({ key: tls.key, cert: tls.cert }, handler) as unknown as Server;
  // Browsers reuse idle connections; past Node's 5 s keep-alive the server may close one just as a
  // request goes out on it, and a PUT or POST that loses that race fails in the page. A loaded
  // machine leaves connections idle that long between a row's steps: keep them for the whole run.
  for (const server of [plain, secure]) server.keepAliveTimeout = 120_000;
  const [port, tlsPort] = await Promise.all([listen(plain), listen(secure)]);
  return {
    port,
    tlsPort,
    close: async () => {
      await Promise.all([closeServer(plain), closeServer(secure)]);
    },
  };
}
