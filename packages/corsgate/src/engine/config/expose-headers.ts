/**
 * The `exposeHeaders` scripts may read (docs/rules.md R22, R23): HTTP tokens, never `Set-Cookie`
 * or a request-only header; `*` only without credentials (with them a browser reads it as a header
 * literally named `*`). Names keep the case they were written in.
 */
import { type ConfigIssue, issue } from '../errors.js';
import { FORBIDDEN_RESPONSE_HEADERS, isToken, SAFELISTED_RESPONSE_HEADERS } from '../fetch-spec.js';
import type { ListItem } from './fields.js';

/** The names as the `Access-Control-Expose-Headers` value will list them. */
export function compileExposeHeaders(
  items: readonly ListItem[],
  credentials: boolean,
  issues: ConfigIssue[],
): string[] {
  const exposeTexts: string[] = [];
  const exposeSeen = new Set<string>();
  for (const { value, index } of items) {
    const path = ['exposeHeaders', index];
    if (value === '*') {
      if (credentials) {
        issues.push(
          issue(
            'CG_EXPOSE_HEADER_ANY_WITH_CREDENTIALS',
            path,
            value,
            'with credentials, browsers read "*" in Access-Control-Expose-Headers as a header literally named "*"; list the names',
          ),
        );
        continue;
      }
    } else if (!isToken(value)) {
      issues.push(issue('CG_EXPOSE_HEADER_INVALID', path, value, `"${value}" is not an HTTP header name`));
      continue;
    }
    const lower = value.toLowerCase();
    if (FORBIDDEN_RESPONSE_HEADERS.has(lower)) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is never readable by scripts, whatever the server says`,
        ),
      );
      continue;
    }
    if (lower === 'origin' || lower.startsWith('access-control-request-')) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is a request header; a response never carries it`,
        ),
      );
      continue;
    }
    if (exposeSeen.has(lower)) {
      issues.push(
        issue(
          'CG_EXPOSE_HEADER_DUPLICATE',
          path,
          value,
          `${value} is listed twice (names are case-insensitive)`,
        ),
      );
      continue;
    }
    if (SAFELISTED_RESPONSE_HEADERS.has(lower)) {
      issues.push(
        issue('CG_EXPOSE_HEADER_SAFELISTED', path, value, `${value} is always readable and needs no listing`),
      );
    }
    exposeSeen.add(lower);
    exposeTexts.push(value);
  }
  return exposeTexts;
}
