/**
 * The `methods` a preflight may ask for (docs/rules.md R6, R7, R16): HTTP tokens, never a
 * forbidden method; the six methods browsers upper-case are upper-cased, any other is kept as
 * written (browsers compare it case-sensitively); `*` allows any method but a forbidden one.
 */
import { type ConfigIssue, issue } from '../errors.js';
import { FORBIDDEN_METHODS, isToken, NORMALISED_METHODS, SAFELISTED_METHODS } from '../fetch-spec.js';
import type { ListItem } from './fields.js';

export interface CompiledMethods {
  /** The listed methods, normalised. */
  readonly methods: Set<string>;
  /** As the normalised configuration lists them (with `*`). */
  readonly texts: string[];
  /** `*` was listed. */
  readonly any: boolean;
}

export function compileMethods(items: readonly ListItem[], issues: ConfigIssue[]): CompiledMethods {
  const methods = new Set<string>();
  const methodTexts: string[] = [];
  let anyMethod = false;
  for (const { value, index } of items) {
    const path = ['methods', index];
    if (value === '*') {
      anyMethod = true;
      methodTexts.push(value);
      continue;
    }
    if (!isToken(value)) {
      issues.push(issue('CG_METHOD_INVALID', path, value, `"${value}" is not an HTTP method token`));
      continue;
    }
    const upper = value.toUpperCase();
    if (FORBIDDEN_METHODS.has(upper)) {
      issues.push(
        issue(
          'CG_METHOD_FORBIDDEN',
          path,
          value,
          `${upper} is a forbidden method: browsers never let a script send it`,
        ),
      );
      continue;
    }
    let method = value;
    if (NORMALISED_METHODS.has(upper) && value !== upper) {
      issues.push(
        issue(
          'CG_METHOD_NORMALISED',
          path,
          value,
          `browsers upper-case "${value}" to ${upper} before sending it`,
          `write ${upper}`,
        ),
      );
      method = upper;
    } else if (method !== upper) {
      issues.push(
        issue(
          'CG_METHOD_NOT_UPPER_CASE',
          path,
          value,
          `browsers send "${value}" exactly as the script writes it and compare case-sensitively (R7): "${value}" does not allow ${upper}`,
          `did you mean ${upper}?`,
        ),
      );
    }
    if (methods.has(method)) {
      issues.push(issue('CG_METHOD_DUPLICATE', path, value, `${method} is listed twice`));
      continue;
    }
    if (SAFELISTED_METHODS.has(method)) {
      issues.push(
        issue('CG_METHOD_SAFELISTED', path, value, `${method} is CORS-safelisted and never needs listing`),
      );
    }
    methods.add(method);
    methodTexts.push(method);
  }
  return { methods, texts: methodTexts, any: anyMethod };
}
