/**
 * What a page script observes: the request runs inside the page (or a frame) with `fetch` or
 * `XMLHttpRequest`, and only what that script can see comes back.
 */
import type { ScriptTarget } from './_engine.js';

export interface PageRequest {
  readonly api?: 'fetch' | 'xhr';
  readonly url: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  readonly mode?: 'cors' | 'no-cors';
}

export interface Observation {
  /** `resolved` when the script got a response, `rejected` on a network error (what CORS failures look like). */
  readonly outcome: 'resolved' | 'rejected';
  readonly status: number;
  /** fetch's Response.type (`cors`, `opaque`, …); `xhr` for XMLHttpRequest. */
  readonly type: string;
  readonly body: string;
  /** Every header the script can read, lower-cased names, as headers.forEach yields them. */
  readonly headers: Record<string, string>;
  readonly error?: string;
}

interface Waiting {
  readonly req: PageRequest;
  resolve(o: Observation): void;
  reject(error: unknown): void;
}

const queued = new WeakMap<ScriptTarget, Waiting[]>();

/**
 * Runs one request in the page's (or frame's) own JavaScript world. Where the driver makes a script
 * dear (`evaluateEach`: WebKit), requests asked of one target in the same turn of the event loop
 * leave together from one script; each still settles on its own. Requests of one page are
 * independent of each other: every case uses its own URL.
 */
export function observe(target: ScriptTarget, req: PageRequest): Promise<Observation> {
  const each = target.evaluateEach?.bind(target);
  if (each === undefined) return target.evaluate(observeInPage, req);
  return new Promise<Observation>((resolve, reject) => {
    let waiting = queued.get(target);
    if (waiting === undefined) {
      const batch: Waiting[] = [];
      waiting = batch;
      queued.set(target, batch);
      setImmediate(() => {
        queued.delete(target);
        const results = each(
          observeInPage,
          batch.map((w) => w.req),
        );
        for (const [i, w] of batch.entries()) results[i]!.then(w.resolve, w.reject);
      });
    }
    waiting.push({ req, resolve, reject });
  });
}

/** One request, as the page's script makes it; sent to the page as source text (no helpers). */
const observeInPage = async (r: PageRequest): Promise<Observation> => {
  const method = r.method ?? 'GET';
  if (r.api === 'xhr') {
    return await new Promise<Observation>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, r.url);
      xhr.withCredentials = r.credentials === 'include';
      for (const [k, v] of Object.entries(r.headers ?? {})) xhr.setRequestHeader(k, v);
      xhr.onload = () => {
        const headers: Record<string, string> = {};
        for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        resolve({
          outcome: 'resolved',
          status: xhr.status,
          type: 'xhr',
          body: xhr.responseText,
          headers,
        });
      };
      xhr.onerror = () =>
        resolve({
          outcome: 'rejected',
          status: xhr.status,
          type: 'xhr',
          body: '',
          headers: {},
          error: 'error',
        });
      xhr.send(r.body ?? null);
    });
  }
  try {
    // No `cache: 'no-store'`: Chromium then bypasses its preflight cache too. Every case uses its
    // own URL, so the HTTP cache cannot serve a stale answer.
    const init: RequestInit = { method, headers: r.headers ?? {} };
    if (r.credentials !== undefined) init.credentials = r.credentials;
    if (r.mode !== undefined) init.mode = r.mode;
    if (r.body !== undefined) init.body = r.body;
    const res = await fetch(r.url, init);
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { outcome: 'resolved', status: res.status, type: res.type, body: await res.text(), headers };
  } catch (error) {
    return {
      outcome: 'rejected',
      status: 0,
      type: 'error',
      body: '',
      headers: {},
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
};
