/**
 * The config file's routes: each path checked (`/exact` or `/prefix/*`), each route's policy the
 * base policy with its own fields over it, validated by the engine with the route's own origins
 * (or none yet, when they come from the allowlist), every problem at its line.
 */
import { type CorsConfigWithoutOrigins, validateConfig } from 'corsgate';
import { normalizePath } from '../path/normalize.js';
import type { Path } from './file.js';
import { engineProblems } from './policy.js';
import type { FileConfig } from './schema.js';
import type { ConfigProblem, RouteConfig } from './types.js';

export function compileRoutes(
  fileRoutes: FileConfig['routes'],
  policy: CorsConfigWithoutOrigins,
  fileAt: (path: Path) => string,
  problems: ConfigProblem[],
): RouteConfig[] {
  const routes: RouteConfig[] = [];
  (fileRoutes ?? []).forEach((r, index) => {
    const star = r.path.indexOf('*');
    const prefix = r.path.endsWith('/*') && star === r.path.length - 1;
    const literal = prefix ? r.path.slice(0, -1) : r.path;
    if (!r.path.startsWith('/') || (star >= 0 && !prefix) || normalizePath(literal) !== literal) {
      problems.push({
        code: 'CG_GATEWAY_ROUTE_PATH',
        severity: 'error',
        where: fileAt(['routes', index, 'path']),
        message: `route path "${r.path}" must start with "/", may only end in "/*" (no other patterns), and must be written as the gateway normalises paths (no "//", dot segments or escapes)`,
      });
      return;
    }
    const merged: CorsConfigWithoutOrigins = { ...policy, ...r.policy };
    const own = new Set(Object.keys(r.policy ?? {}));
    const routeIssues = validateConfig({ ...merged, origins: r.origins ?? [] });
    problems.push(
      ...engineProblems(
        routeIssues,
        (i) =>
          i.path[0] === 'origins'
            ? fileAt(['routes', index, ...i.path])
            : fileAt(['routes', index, 'policy', ...i.path]),
        // Base-policy problems are reported once, above; here only the route's own fields.
        (i) => i.path[0] === 'origins' || own.has(String(i.path[0])),
      ),
    );
    routes.push({
      path: r.path,
      match: prefix ? r.path.slice(0, -1) : r.path,
      prefix,
      policy: merged,
      ...(r.origins === undefined ? {} : { origins: r.origins }),
      stripCookies: r.stripCookies ?? false,
    });
  });
  return routes;
}
