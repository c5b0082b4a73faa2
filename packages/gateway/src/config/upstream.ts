/**
 * The upstream URL (`--upstream` or the file's `upstream`): http or https, a path allowed (the
 * base path every request is forwarded under), no query, fragment or user name.
 */
import type { Path } from './file.js';
import type { FlagValues } from './flags.js';
import type { FileConfig } from './schema.js';
import type { ConfigProblem } from './types.js';

/** The upstream's origin and base path (`''` for none); both empty after a problem. */
export function parseUpstream(
  flags: FlagValues,
  file: FileConfig,
  fileAt: (path: Path) => string,
  problems: ConfigProblem[],
): { upstream: string; upstreamPath: string } {
  const upstreamText = flags.upstream ?? file.upstream;
  let upstream = '';
  let upstreamPath = '';
  if (upstreamText === undefined) {
    problems.push({
      code: 'CG_GATEWAY_UPSTREAM',
      severity: 'error',
      where: '--upstream',
      message: 'the upstream URL is required (e.g. --upstream http://127.0.0.1:3000)',
    });
  } else {
    let url: URL | undefined;
    try {
      url = new URL(upstreamText);
    } catch {
      url = undefined;
    }
    const where = flags.upstream !== undefined ? '--upstream' : fileAt(['upstream']);
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      problems.push({
        code: 'CG_GATEWAY_UPSTREAM',
        severity: 'error',
        where,
        message: `"${upstreamText}" is not an http:// or https:// URL`,
      });
    } else if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      problems.push({
        code: 'CG_GATEWAY_UPSTREAM',
        severity: 'error',
        where,
        message: `"${upstreamText}" may have a path but no query, fragment or user name`,
      });
    } else {
      upstream = url.origin;
      upstreamPath = url.pathname.replace(/\/+$/, '');
    }
  }
  return { upstream, upstreamPath };
}
