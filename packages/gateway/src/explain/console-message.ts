/**
 * Reads a browser's console text about a blocked cross-origin request: which engine wrote it,
 * which catalogue class it names, and every fact the text carries (the URL, the page origin, the
 * method, the header, the status, the header values the server sent). Pure: no I/O.
 *
 * The wordings are the engines' own, as the browser suite captures them (test/browser/
 * explain-console.test.ts): Chromium's console messages, Firefox's page errors and log entries,
 * and WebKit's from its source (WebKitWebDriver does not expose console text; the fixture
 * test/browser/fixtures/webkit-console.txt cites the lines). English only: the engines' default
 * locale.
 */
import type { ClassId } from '../catalogue/classes.js';

export type Engine = 'chromium' | 'firefox' | 'webkit';

/** What the text says; a field is absent when the text does not say it. */
export interface MessageFacts {
  readonly url?: string;
  /** The page origin (Chromium and WebKit name it; Firefox never does). */
  readonly origin?: string;
  /** The refused method (Chromium and WebKit name it; Firefox does not). */
  readonly method?: string;
  /** The refused request header, as the engine wrote it. */
  readonly header?: string;
  /** The response status, where the engine gives it (Firefox, WebKit). */
  readonly status?: number;
  /** The Access-Control-Allow-Origin value the server sent, where the text quotes it. */
  readonly allowOrigin?: string;
  /** The Access-Control-Allow-Credentials value the server sent, where the text quotes it. */
  readonly allowCredentials?: string;
  /** True when the text says the failure was on the preflight; absent when it does not say. */
  readonly preflight?: boolean;
  /** True when the text says the request carries credentials. */
  readonly credentials?: boolean;
}

/** A failure that looks like CORS but is not one: no CORS header can fix it (the catalogue's `not-cors` kind). */
export type NotCors = Extract<
  ClassId,
  'network-error' | 'local-network-access' | 'mixed-content' | 'blocked-by-client'
>;

const NOT_CORS: ReadonlySet<string> = new Set<NotCors>([
  'network-error',
  'local-network-access',
  'mixed-content',
  'blocked-by-client',
]);

function isNotCors(id: string): id is NotCors {
  return NOT_CORS.has(id);
}

export type MessageReading =
  | {
      readonly engine: Engine;
      readonly classId: ClassId;
      /** Classes the engine words the same way (WebKit says "not allowed" for a missing or another ACAO). */
      readonly alsoPossible: readonly ClassId[];
      readonly facts: MessageFacts;
    }
  | { readonly engine: Engine; readonly notCors: NotCors; readonly facts: MessageFacts }
  | { readonly engine?: Engine; readonly unknown: true; readonly facts: MessageFacts };

/** One wording: the pattern, the class, and the facts its groups carry. */
interface Wording {
  readonly engine: Engine;
  readonly pattern: RegExp;
  readonly classId: ClassId;
  readonly facts?: (m: RegExpExecArray) => MessageFacts;
  readonly alsoPossible?: readonly ClassId[];
}

/** The origin of the page URL a message names, when it is one. */
function originOfPage(url: string): MessageFacts {
  try {
    return { origin: new URL(url).origin };
  } catch {
    return {};
  }
}

const statusOf = (text: string | undefined): MessageFacts =>
  text === undefined || !/^\d{3}$/.test(text) ? {} : { status: Number(text) };

/**
 * Chromium: third_party/blink/renderer/platform/loader/cors/cors_error_string.cc. The sentence
 * follows "has been blocked by CORS policy: ", after "Response to preflight request doesn't pass
 * access control check: " when the preflight failed.
 */
const CHROMIUM: readonly Wording[] = [
  // Not CORS, though worded "blocked by CORS policy" (captured in test/browser/explain-har.test.ts).
  {
    engine: 'chromium',
    pattern:
      /The request client is not a secure context and the resource is in more-private address space `(\w+)`/,
    classId: 'local-network-access',
  },
  {
    engine: 'chromium',
    pattern:
      /Mixed Content: The page at '([^']+)' was loaded over HTTPS, but requested an insecure resource '([^']+)'/,
    classId: 'mixed-content',
    facts: (m) => ({ url: m[2]!, ...originOfPage(m[1]!) }),
  },
  {
    engine: 'chromium',
    pattern: /Failed to load resource: net::ERR_BLOCKED_BY_CLIENT/,
    classId: 'blocked-by-client',
  },
  {
    // net::ERR_FAILED follows every CORS refusal; any other net::ERR_ is the network's.
    engine: 'chromium',
    pattern: /Failed to load resource: net::ERR_(?!FAILED\b)[A-Z_]+/,
    classId: 'network-error',
  },
  {
    engine: 'chromium',
    pattern:
      /The 'Access-Control-Allow-Origin' header contains multiple values '([^']*)', but only one is allowed/,
    classId: 'acao-duplicate',
    facts: (m) => ({ allowOrigin: m[1]! }),
  },
  {
    engine: 'chromium',
    pattern:
      /The 'Access-Control-Allow-Origin' header has a value '([^']*)' that is not equal to the supplied origin/,
    classId: 'acao-mismatch',
    facts: (m) => ({ allowOrigin: m[1]! }),
  },
  {
    engine: 'chromium',
    pattern: /The 'Access-Control-Allow-Origin' header contains the invalid value '([^']*)'/,
    classId: 'acao-mismatch',
    facts: (m) => ({ allowOrigin: m[1]! }),
  },
  {
    engine: 'chromium',
    pattern: /No 'Access-Control-Allow-Origin' header is present on the requested resource/,
    classId: 'acao-missing',
  },
  {
    engine: 'chromium',
    pattern:
      /'Access-Control-Allow-Origin' header in the response must not be the wildcard '\*' when the request's credentials mode is 'include'/,
    classId: 'wildcard-with-credentials',
    facts: () => ({ allowOrigin: '*', credentials: true }),
  },
  {
    engine: 'chromium',
    pattern:
      /'Access-Control-Allow-Credentials' header in the response is '([^']*)' which must be 'true' when the request's credentials mode is 'include'/,
    classId: 'credentials-not-allowed',
    facts: (m) => ({ allowCredentials: m[1]!, credentials: true }),
  },
  {
    engine: 'chromium',
    pattern: /Method (\S+) is not allowed by Access-Control-Allow-Methods in preflight response/,
    classId: 'method-not-allowed',
    facts: (m) => ({ method: m[1]!, preflight: true }),
  },
  {
    engine: 'chromium',
    pattern:
      /Request header field (\S+) is not allowed by Access-Control-Allow-Headers in preflight response/,
    classId: 'header-not-allowed',
    facts: (m) => ({ header: m[1]!, preflight: true }),
  },
  {
    engine: 'chromium',
    pattern: /Redirect is not allowed for a preflight request/,
    classId: 'preflight-redirect',
    facts: () => ({ preflight: true }),
  },
  {
    engine: 'chromium',
    pattern: /It does not have HTTP ok status/,
    classId: 'preflight-status',
    facts: () => ({ preflight: true }),
  },
];

/**
 * Firefox: dom/locales/en-US/chrome/security/security.properties (the CORS* strings), each after
 * "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at
 * URL. (Reason: …)", some with "Status code: N." after it. Quotes are normalised before matching.
 */
const FIREFOX: readonly Wording[] = [
  {
    engine: 'firefox',
    pattern: /Reason: CORS header 'Access-Control-Allow-Origin' missing\)(?:\. Status code: (\d+))?/,
    classId: 'acao-missing',
    facts: (m) => statusOf(m[1]),
  },
  {
    engine: 'firefox',
    pattern: /Reason: CORS header 'Access-Control-Allow-Origin' does not match '([^']*)'\)/,
    classId: 'acao-mismatch',
    facts: (m) => ({ allowOrigin: m[1]! }),
  },
  {
    engine: 'firefox',
    pattern: /Reason: Multiple CORS header 'Access-Control-Allow-Origin' not allowed\)/,
    classId: 'acao-duplicate',
  },
  {
    engine: 'firefox',
    pattern: /Reason: Credential is not supported if the CORS header 'Access-Control-Allow-Origin' is '\*'\)/,
    classId: 'wildcard-with-credentials',
    facts: () => ({ allowOrigin: '*', credentials: true }),
  },
  {
    engine: 'firefox',
    pattern: /Reason: expected 'true' in CORS header 'Access-Control-Allow-Credentials'\)/,
    classId: 'credentials-not-allowed',
    facts: () => ({ credentials: true }),
  },
  {
    engine: 'firefox',
    pattern: /Reason: Did not find method in CORS header 'Access-Control-Allow-Methods'\)/,
    classId: 'method-not-allowed',
    facts: () => ({ preflight: true }),
  },
  {
    engine: 'firefox',
    pattern:
      /Reason: (?:header '([^']*)' is not allowed according to header 'Access-Control-Allow-Headers' from CORS preflight response|missing token '([^']*)' in CORS header 'Access-Control-Allow-Headers' from CORS preflight channel)\)/i,
    classId: 'header-not-allowed',
    facts: (m) => ({ header: (m[1] ?? m[2])!, preflight: true }),
  },
  {
    engine: 'firefox',
    pattern: /Reason: CORS preflight response did not succeed\)(?:\. Status code: (\d+))?/,
    classId: 'preflight-status',
    facts: (m) => ({ ...statusOf(m[1]), preflight: true }),
  },
  {
    // CORSExternalRedirectNotAllowed: what Firefox says for a preflight answered with a redirect.
    engine: 'firefox',
    pattern: /Reason: CORS request external redirect not allowed\)/,
    classId: 'preflight-redirect',
  },
  {
    engine: 'firefox',
    pattern: /Reason: CORS request did not succeed\)/,
    classId: 'network-error',
  },
];

/**
 * WebKit: Source/WebCore/loader/CrossOriginAccessControl.cpp (passesAccessControlCheck,
 * validatePreflightResponse) and CrossOriginPreflightResultCache.cpp (validateMethodAndHeaders).
 * It words a missing and another Access-Control-Allow-Origin alike.
 */
const WEBKIT: readonly Wording[] = [
  {
    engine: 'webkit',
    pattern: /Origin (\S+) is not allowed by Access-Control-Allow-Origin\.(?: Status code: (\d+))?/,
    classId: 'acao-missing',
    alsoPossible: ['acao-mismatch'],
    facts: (m) => ({ origin: m[1]!, ...statusOf(m[2]) }),
  },
  {
    engine: 'webkit',
    pattern: /Access-Control-Allow-Origin cannot contain more than one origin/,
    classId: 'acao-duplicate',
  },
  {
    engine: 'webkit',
    pattern: /Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true/,
    classId: 'wildcard-with-credentials',
    facts: () => ({ allowOrigin: '*', credentials: true }),
  },
  {
    engine: 'webkit',
    pattern: /Credentials flag is true, but Access-Control-Allow-Credentials is not "true"/,
    classId: 'credentials-not-allowed',
    facts: () => ({ credentials: true }),
  },
  {
    engine: 'webkit',
    pattern: /Method (\S+) is not allowed by Access-Control-Allow-Methods\./,
    classId: 'method-not-allowed',
    facts: (m) => ({ method: m[1]!, preflight: true }),
  },
  {
    engine: 'webkit',
    pattern: /Request header field (\S+) is not allowed by Access-Control-Allow-Headers\./,
    classId: 'header-not-allowed',
    facts: (m) => ({ header: m[1]!, preflight: true }),
  },
  {
    engine: 'webkit',
    pattern: /Preflight response is not successful(?:\. Status code: (\d+))?/,
    classId: 'preflight-status',
    facts: (m) => ({ ...statusOf(m[1]), preflight: true }),
  },
];

/** Every wording, most specific first (Chromium's method sentence before WebKit's shorter one). */
const WORDINGS: readonly Wording[] = [...CHROMIUM, ...FIREFOX, ...WEBKIT];

/** Curly and typographic quotes (Firefox writes ‘…’) as plain ones. */
function normalise(text: string): string {
  return text.replace(/[‘’‚‛′]/g, "'").replace(/[“”„]/g, '"');
}

/** The engine, from the sentence around the cause, when the cause itself is unknown. */
function engineOf(text: string): Engine | undefined {
  if (/has been blocked by CORS policy/.test(text)) return 'chromium';
  if (/Cross-Origin Request Blocked|NetworkError when attempting to fetch resource/.test(text))
    return 'firefox';
  if (/due to access control checks/.test(text)) return 'webkit';
  return undefined;
}

/** The URL and page origin the surrounding sentence names. */
function contextFacts(text: string): MessageFacts {
  const chromium =
    /Access to (?:fetch|XMLHttpRequest|script|image|font|resource) at '([^']+)' (?:\(redirected from '[^']+'\) )?from origin '([^']+)' has been blocked/.exec(
      text,
    );
  if (chromium !== null)
    return {
      url: chromium[1]!,
      origin: chromium[2]!,
      preflight: /Response to preflight request doesn't pass access control check/.test(text),
    };
  const firefox = /disallows reading the remote resource at (\S+?)\.? \(Reason:/.exec(text);
  if (firefox !== null) return { url: firefox[1]! };
  const webkit = /(?:Fetch API|XMLHttpRequest) cannot load (\S+?) due to access control checks/.exec(text);
  if (webkit !== null) return { url: webkit[1]! };
  return {};
}

/**
 * Reads pasted console text (one message or several lines of one failure).
 * @example
 * readConsoleMessage("Access to fetch at 'https://api.example/x' from origin 'https://app.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
 * // { engine: 'chromium', classId: 'acao-missing', alsoPossible: [], facts: { url, origin, preflight: false } }
 */
export function readConsoleMessage(input: string): MessageReading {
  const text = normalise(input);
  const context = contextFacts(text);
  for (const w of WORDINGS) {
    const m = w.pattern.exec(text);
    if (m === null) continue;
    // A later line may add what an earlier one lacked (WebKit's "cannot load URL" line).
    const facts: MessageFacts = { ...context, ...(w.facts?.(m) ?? {}) };
    if (isNotCors(w.classId)) return { engine: w.engine, notCors: w.classId, facts };
    // A preflight answered 3xx is the redirect class; Firefox and WebKit give only the status.
    const redirected =
      w.classId === 'preflight-status' &&
      facts.status !== undefined &&
      facts.status >= 300 &&
      facts.status < 400;
    const classId = redirected ? 'preflight-redirect' : w.classId;
    return { engine: w.engine, classId, alsoPossible: w.alsoPossible ?? [], facts };
  }
  const engine = engineOf(text);
  return { ...(engine === undefined ? {} : { engine }), unknown: true, facts: context };
}
