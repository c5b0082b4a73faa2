/**
 * The `requestHeaders` scripts may send (docs/rules.md R6, R17): HTTP tokens, compared
 * case-insensitively, never a forbidden request header nor a CORS response header; `*` for any
 * (but `Authorization`, which is allowed only by name).
 */
import type { AllowedRequestHeaders } from '../acrh.js';
import { type ConfigIssue, issue } from '../errors.js';
import { isForbiddenRequestHeader, isToken } from '../fetch-spec.js';
import type { ListItem } from './fields.js';

export interface CompiledRequestHeaders {
  /** What the preflight check asks: the lower-case names, and whether `*` was listed. */
  readonly allowed: AllowedRequestHeaders;
  /** As the normalised configuration lists them. */
  readonly texts: string[];
}

export function compileRequestHeaders(
  items: readonly ListItem[],
  issues: ConfigIssue[],
): CompiledRequestHeaders {
  const headerNames = new Set<string>();
  const headerTexts: string[] = [];
  let anyHeader = false;
  for (const { value, index } of items) {
    const path = ['requestHeaders', index];
    if (value === '*') {
      anyHeader = true;
      headerTexts.push(value);
      continue;
    }
    if (!isToken(value)) {
      issues.push(issue('CG_REQUEST_HEADER_INVALID', path, value, `"${value}" is not an HTTP header name`));
      continue;
    }
    const lower = value.toLowerCase();
    if (isForbiddenRequestHeader(lower)) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_FORBIDDEN',
          path,
          value,
          `${value} is a forbidden request header: scripts cannot set it, so browsers never ask for it`,
        ),
      );
      continue;
    }
    if (lower.startsWith('access-control-')) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_CORS_OWNED',
          path,
          value,
          `${value} is a CORS response header; a request never carries it`,
        ),
      );
      continue;
    }
    if (headerNames.has(lower)) {
      issues.push(
        issue(
          'CG_REQUEST_HEADER_DUPLICATE',
          path,
          value,
          `${value} is listed twice (names are case-insensitive)`,
        ),
      );
      continue;
    }
    headerNames.add(lower);
    headerTexts.push(lower);
  }
  return { allowed: { names: headerNames, any: anyHeader }, texts: headerTexts };
}
