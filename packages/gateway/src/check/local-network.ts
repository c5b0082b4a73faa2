/**
 * Local Network Access in `check` (docs/failures.md "Not CORS"): when the URL is a loopback or
 * private address and the page's origin is not, Chromium asks the user first, and only from a
 * secure context. `check` sends its own requests, so it cannot see the prompt; it says so, once,
 * as a warning before the CORS steps, since no answer header can change it.
 */
import { type AddressSpace, addressSpace, type Browser, localNetworkAccess } from '../browser-model/index.js';
import type { TraceStep } from './trace.js';

/**
 * The warning step, when the page is known to be more public than the URL: `pageSpace` as the
 * caller says, else read from an IP-literal origin. A page origin by name says nothing of where it
 * is served from (a developer's https://app.test may be on loopback too), so it stays silent then.
 */
export function localNetworkStep(
  url: URL,
  origin: string,
  browser: Browser,
  pageSpace?: AddressSpace,
): TraceStep | undefined {
  const target = addressSpace(url.hostname);
  if (target !== 'loopback' && target !== 'private') return undefined;
  let page: AddressSpace = pageSpace ?? 'unknown';
  if (pageSpace === undefined && origin !== 'null') {
    try {
      page = addressSpace(new URL(origin).hostname);
    } catch {
      return undefined;
    }
  }
  if (page === 'unknown') return undefined;
  const verdict = localNetworkAccess(origin, page, target, browser);
  if (!verdict.applies) return undefined;
  return {
    phase: 'input',
    status: 'warn',
    message: `${url.hostname} is a ${target} address and ${origin} is served from a ${page} one: ${verdict.message} [Local Network Access]`,
    fix: `serve the page over https and let users allow the local network access Chromium asks for, or call the API at a public address (docs/failures.md "Not CORS")`,
  };
}
