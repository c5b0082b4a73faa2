/**
 * A HAR recorded from real Chromium the way its DevTools builds one (issue 23): from the DevTools
 * protocol's Network events over puppeteer-core. requestWillBeSent and its ExtraInfo give the
 * request as sent on the wire (Origin, Access-Control-Request-*), responseReceived and its
 * ExtraInfo the response as received (ExtraInfo is all there is for a response CORS blocked),
 * loadingFailed the browser's error text. Preflights are entries of their own
 * (`_resourceType: preflight`, `_initiator.requestId` naming the request), as in DevTools' export;
 * Cookie, Set-Cookie and Authorization are stripped, as its default ("sanitized") export does.
 * Playwright's recordHar is not used: it records a CORS failure as status -1 with no preflight.
 */
import type { CDPSession, HTTPRequest, Page } from 'puppeteer-core';

interface Recorded {
  id: string;
  url?: string;
  method?: string;
  type?: string;
  initiator?: { type: string; requestId?: string };
  wallTime?: number;
  headers?: Record<string, string>;
  wireHeaders?: Record<string, string>;
  status?: number;
  statusText?: string;
  protocol?: string;
  responseHeaders?: Record<string, string>;
  wireResponseHeaders?: Record<string, string>;
  wireStatus?: number;
  remoteIp?: string;
  mimeType?: string;
  error?: string;
  corsError?: string;
  finished?: boolean;
}

const STRIPPED = new Set(['cookie', 'set-cookie', 'authorization']);

/** CDP's header object (several lines of one name joined by "\n") → HAR's list of lines. */
function harHeaders(headers: Record<string, string> | undefined): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (STRIPPED.has(name.toLowerCase())) continue;
    for (const line of value.split('\n')) out.push({ name, value: line });
  }
  return out;
}

export interface HarRecorder {
  /** The HAR 1.2 of every request seen so far (the page's own document included). */
  har(): object;
  /** Whether every request to `url` (preflights included) has finished or failed. */
  settled(url: string): boolean;
}

/** Starts recording a page's network; call before the page navigates. */
export async function recordHar(
  page: Page,
  options: { corsErrorStatus?: boolean } = {},
): Promise<HarRecorder> {
  const cdp: CDPSession = await page.createCDPSession();
  const byId = new Map<string, Recorded>();
  const order: string[] = [];
  const get = (id: string): Recorded => {
    let r = byId.get(id);
    if (r === undefined) {
      r = { id };
      byId.set(id, r);
      order.push(id);
    }
    return r;
  };
  cdp.on('Network.requestWillBeSent', (e) => {
    const r = get(e.requestId);
    Object.assign(r, {
      url: e.request.url,
      method: e.request.method,
      type: e.type,
      initiator: e.initiator,
      wallTime: e.wallTime,
      headers: e.request.headers,
    });
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    get(e.requestId).wireHeaders = e.headers;
  });
  cdp.on('Network.responseReceived', (e) => {
    Object.assign(get(e.requestId), {
      status: e.response.status,
      statusText: e.response.statusText,
      protocol: e.response.protocol,
      responseHeaders: e.response.headers,
      remoteIp: e.response.remoteIPAddress,
      mimeType: e.response.mimeType,
    });
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    Object.assign(get(e.requestId), { wireResponseHeaders: e.headers, wireStatus: e.statusCode });
  });
  cdp.on('Network.loadingFailed', (e) => {
    Object.assign(get(e.requestId), {
      error: e.errorText,
      corsError: e.corsErrorStatus?.corsError,
      finished: true,
    });
  });
  cdp.on('Network.loadingFinished', (e) => {
    get(e.requestId).finished = true;
  });
  await cdp.send('Network.enable');
  return {
    settled: (url) => {
      const mine = [...byId.values()].filter((r) => r.url === url);
      return mine.length > 0 && mine.every(complete);
    },
    har: () => ({
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [],
        entries: order
          .map((id) => byId.get(id)!)
          .filter((r) => r.url !== undefined && !r.url.startsWith('data:'))
          .map((r) => entry(r, options.corsErrorStatus === true)),
      },
    }),
  };
}

/**
 * Finished, and with the answer's ExtraInfo when there was an answer: that event travels apart from
 * loadingFailed and may come after it. A CORS failure of the response itself and a refused redirect
 * always had an answer; a request stopped by its preflight or by Local Network Access never did.
 */
function complete(r: Recorded): boolean {
  if (r.finished !== true) return false;
  const answered =
    (r.corsError !== undefined && !/^Preflight|LocalNetwork|PrivateNetwork/.test(r.corsError)) ||
    r.error === 'net::ERR_INVALID_REDIRECT';
  return !answered || r.wireStatus !== undefined || r.status !== undefined;
}

function entry(r: Recorded, withCorsError: boolean): object {
  const status = r.status ?? r.wireStatus ?? 0;
  return {
    startedDateTime: new Date((r.wallTime ?? 0) * 1000).toISOString(),
    time: 0,
    request: {
      method: r.method,
      url: r.url,
      httpVersion: r.protocol ?? 'http/1.1',
      headers: harHeaders(r.wireHeaders ?? r.headers),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status,
      statusText: r.statusText ?? '',
      httpVersion: r.protocol ?? '',
      headers: harHeaders(r.wireResponseHeaders ?? r.responseHeaders),
      cookies: [],
      content: { size: 0, mimeType: r.mimeType ?? 'x-unknown' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
      _transferSize: 0,
      _error: r.error ?? null,
      ...(withCorsError && r.corsError !== undefined ? { _corsErrorStatus: { corsError: r.corsError } } : {}),
    },
    cache: {},
    timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 },
    ...(r.remoteIp === undefined ? {} : { serverIPAddress: r.remoteIp }),
    _initiator:
      r.initiator === undefined
        ? { type: 'other' }
        : {
            type: r.initiator.type,
            ...(r.initiator.requestId === undefined ? {} : { requestId: r.initiator.requestId }),
          },
    _resourceType: (r.type ?? 'other').toLowerCase(),
  };
}

/**
 * A HAR recorded from real Firefox over WebDriver BiDi (puppeteer-core's request, response and
 * requestfailed events): Firefox reports the preflight as a request of its own, and the response
 * it refused with its status and headers, as its network panel exports them. What BiDi does not
 * give (timings, sizes) is left at HAR's "unknown" values; Cookie, Set-Cookie and Authorization
 * are stripped as in the Chromium recorder.
 */
export function recordFirefoxHar(page: Page): HarRecorder {
  interface Seen {
    request: HTTPRequest;
    started: number;
    status?: number;
    headers?: Record<string, string>;
    failed?: string;
  }
  const seen = new Map<HTTPRequest, Seen>();
  page.on('request', (request) => seen.set(request, { request, started: Date.now() }));
  page.on('response', (response) => {
    const s = seen.get(response.request());
    if (s !== undefined) Object.assign(s, { status: response.status(), headers: response.headers() });
  });
  page.on('requestfailed', (request) => {
    const s = seen.get(request);
    if (s !== undefined) s.failed = request.failure()?.errorText ?? 'failed';
  });
  const entry = (s: Seen) => ({
    startedDateTime: new Date(s.started).toISOString(),
    time: 0,
    request: {
      method: s.request.method(),
      url: s.request.url(),
      httpVersion: 'HTTP/1.1',
      headers: harHeaders(s.request.headers()),
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: s.status ?? 0,
      statusText: '',
      httpVersion: 'HTTP/1.1',
      headers: harHeaders(s.headers),
      cookies: [],
      content: { size: 0, mimeType: '' },
      redirectURL: '',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 0, receive: 0 },
  });
  return {
    settled: (url) => {
      const mine = [...seen.values()].filter((s) => s.request.url() === url);
      return mine.length > 0 && mine.every((s) => s.status !== undefined || s.failed !== undefined);
    },
    har: () => ({
      log: {
        version: '1.2',
        creator: { name: 'Firefox', version: '153.0' },
        browser: { name: 'Firefox', version: '153.0' },
        pages: [],
        entries: [...seen.values()].map(entry),
      },
    }),
  };
}
