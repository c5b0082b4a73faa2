/**
 * The request as a browser would take it from the script, before anything is sent: the URL and
 * origin a fetch() accepts, the method normalised (R7), forbidden methods refused and forbidden
 * headers dropped (R6), header values trimmed as `Headers.append` does.
 */
import {
  FORBIDDEN_METHODS,
  type HeaderPair,
  isForbiddenRequestHeader,
  isToken,
  NORMALISED_METHODS,
  trimHttpWhitespace,
} from '../browser-model/index.js';
import type { CheckInput, CheckOptions, TraceStep } from './trace.js';

const SERIALIZED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[1-9][0-9]{0,4})?$/;

export type ReadInput =
  | { readonly ok: true; readonly url: URL; readonly input: CheckInput }
  | { readonly ok: false; readonly message: string; readonly input: CheckInput };

/** Reads the options as the browser would; `steps` gets what the browser changes on the way. */
export function readCheckInput(options: CheckOptions, steps: TraceStep[]): ReadInput {
  const rawMethod = options.method ?? 'GET';
  const method = NORMALISED_METHODS.has(rawMethod.toUpperCase()) ? rawMethod.toUpperCase() : rawMethod;
  const input: CheckInput = {
    url: options.url,
    origin: options.origin,
    method,
    headers: [],
    credentials: options.credentials ?? false,
    browser: options.browser ?? 'chromium',
  };
  const fail = (message: string): ReadInput => ({ ok: false, message, input });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return fail(`"${options.url}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail(`only http: and https: URLs can be checked`);
  if (url.username !== '' || url.password !== '')
    return fail('a URL with credentials (user:password@) makes fetch() throw a TypeError');
  url.hash = '';
  const origin = options.origin;
  if (origin !== 'null' && !SERIALIZED_ORIGIN.test(origin))
    return fail(
      `"${origin}" is not an Origin as a browser sends it (lower case, no path, no trailing slash, no default port); run "corsgate origin ${origin}" to get it`,
    );
  const methodProblem = readMethod(rawMethod, method, steps);
  if (methodProblem !== undefined) return fail(methodProblem);
  const headers = readHeaders(options.headers ?? [], steps);
  if (typeof headers === 'string') return fail(headers);
  return { ok: true, url, input: { ...input, headers } };
}

/** The method problem that makes fetch() throw, if any; otherwise notes what R7 changed. */
function readMethod(rawMethod: string, method: string, steps: TraceStep[]): string | undefined {
  if (!isToken(rawMethod)) return `"${rawMethod}" is not an HTTP method token`;
  if (FORBIDDEN_METHODS.has(rawMethod.toUpperCase()))
    return `${rawMethod} is a forbidden method: fetch() throws a TypeError (R6)`;
  if (rawMethod !== method)
    steps.push({
      phase: 'input',
      status: 'info',
      rule: 'R7',
      message: `the browser upper-cases "${rawMethod}" to ${method}`,
    });
  else if (rawMethod !== rawMethod.toUpperCase())
    steps.push({
      phase: 'input',
      status: 'info',
      rule: 'R7',
      message: `"${rawMethod}" stays as written: only DELETE, GET, HEAD, OPTIONS, POST and PUT are upper-cased, and methods are case-sensitive`,
    });
  return undefined;
}

/** The headers the browser sends, or the problem that makes fetch() throw. */
function readHeaders(given: readonly HeaderPair[], steps: TraceStep[]): HeaderPair[] | string {
  const headers: HeaderPair[] = [];
  for (const [name, rawValue] of given) {
    if (!isToken(name)) return `"${name}" is not a header name`;
    // Headers.append normalises the value (strips HTTP whitespace) and rejects NUL, CR and LF.
    const value = trimHttpWhitespace(rawValue);
    if (/[\0\r\n]/.test(value) || /[^\0-\xff]/.test(value))
      return `the value of ${name} is not a valid header value (no NUL, CR, LF or characters above U+00FF)`;
    if (isForbiddenRequestHeader(name, value)) {
      steps.push({
        phase: 'input',
        status: 'warn',
        rule: 'R6',
        message: `${name} is a forbidden request header: a script cannot set it, so the browser silently drops it`,
        header: name,
        value,
      });
      continue;
    }
    headers.push([name, value]);
  }
  return headers;
}
