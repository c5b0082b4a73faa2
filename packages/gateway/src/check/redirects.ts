/**
 * What `fetch()` does on a redirect of a CORS request (FETCH #http-redirect-fetch, R25, R26): which
 * statuses redirect, where to, how many times, and when the Origin becomes "null".
 */

/** FETCH #redirect-status. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** FETCH #http-redirect-fetch: the limit on redirects a fetch follows. */
export const MAX_REDIRECTS = 20;
/** FETCH #request-body-header-name: dropped when a redirect turns the request into a GET. */
export const REQUEST_BODY_HEADERS: ReadonlySet<string> = new Set([
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
]);

export function redirectTarget(base: URL, location: string): URL | null {
  try {
    const next = new URL(location, base);
    // A fragment-less Location inherits the current fragment; irrelevant for HTTP, so drop it.
    next.hash = '';
    return next;
  } catch {
    return null;
  }
}

/**
 * FETCH #serializing-a-request-origin with #concept-request-tainted-origin (R26): "null" once a
 * hop went from one origin to another while the request's origin differed from the one it left.
 */
export function taintedOrigin(origin: string, urlList: readonly URL[]): string {
  for (let i = 1; i < urlList.length; i++) {
    const last = urlList[i - 1]!.origin;
    if (urlList[i]!.origin !== last && origin !== last) return 'null';
  }
  return origin;
}
