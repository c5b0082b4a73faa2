/**
 * Deciding a WebSocket opening handshake (`corsgate/websocket`). Browsers send `Origin` on a
 * handshake but apply no CORS to it: any page can open a socket to an API with the user's cookies
 * (Cross-Site WebSocket Hijacking). So a handshake is decided like a state-changing request
 * (docs/websocket.md): an allowed origin, the server's own origin, or no `Origin` at all (a
 * non-browser client) → accept; anything else → refuse with 403 before the application sees it.
 * Pure: reads a request's method and headers, never a socket (no Node imports).
 */
import type { Decision, ReasonCode } from '../engine/decision.js';
import type { Policy } from '../engine/policy.js';
import { type HeaderView, requestFacts } from '../request/facts.js';

/** A compiled policy, or anything that holds the one in force now (an allowlist watcher or source). */
export type PolicySource = Policy | { readonly current: { readonly policy: Policy } };

/** What the handshake decision needs of a request: node:http's `IncomingMessage` is one. */
export interface HandshakeRequest {
  readonly method?: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** node:http's socket: TLS when `encrypted` (the scheme of the server's own origin). */
  readonly socket?: { readonly encrypted?: boolean } | null | undefined;
}

export interface HandshakeOptions {
  /**
   * The server's own origins as browsers write them (`https://api.example.com`): a handshake from
   * one of these is same-origin. `Host` is never taken as proof: through DNS rebinding a page on an
   * attacker's name reaches the server with a `Host` and an `Origin` of that name, and its browser
   * even says `Sec-Fetch-Site: same-origin` (docs/websocket.md). Without own origins, every
   * handshake with an `Origin` is cross-origin and needs the list.
   */
  readonly ownOrigins?: readonly string[];
  /** The scheme the client used; by default the socket's (`https` under TLS). */
  readonly scheme?: 'http' | 'https';
}

export interface HandshakeDecision {
  /** True: let the handshake through. False: answer `status` and close. */
  readonly allowed: boolean;
  /** 403 when refused; undefined when allowed. */
  readonly status: 403 | undefined;
  /** The engine's reason code: `origin-allowed`, `same-origin`, `not-cors`, `origin-not-allowed`, … */
  readonly reason: ReasonCode;
  /** A short text for a refusal (the body or the close reason), undefined when allowed. */
  readonly message: string | undefined;
  /** The engine's whole decision (its `kind`, `reason` and `detail`). */
  readonly decision: Decision;
}

function policyOf(source: PolicySource): Policy {
  return 'current' in source ? source.current.policy : source;
}

/**
 * Decides a WebSocket handshake against the policy in force now: allowed origin, own origin
 * (`options.ownOrigins`) or no `Origin` → allowed; anything else → 403.
 *
 * @example With `ws` (docs/websocket.md):
 * ```ts
 * new WebSocketServer({
 *   server,
 *   verifyClient: (info, done) => {
 *     const d = decideHandshake(watcher, info.req);
 *     done(d.allowed, d.status, d.message);
 *   },
 * });
 * ```
 * @param source a `Policy`, or an allowlist watcher/source (its `current.policy` is read per call)
 * @param request the handshake request (node:http's `IncomingMessage`)
 * @param options the server's own origins, and the scheme when a proxy terminates TLS
 */
export function decideHandshake(
  source: PolicySource,
  request: HandshakeRequest,
  options: HandshakeOptions = {},
): HandshakeDecision {
  const method = request.method ?? 'GET';
  const scheme = options.scheme ?? (request.socket?.encrypted === true ? 'https' : 'http');
  const facts = requestFacts(method, scheme, request.headers as HeaderView);
  // Same-origin only by configuration: no Host for the engine to compare, and Sec-Fetch-Site
  // set by us exactly when the Origin is one of the server's own.
  const own = typeof facts.origin === 'string' && options.ownOrigins?.includes(facts.origin) === true;
  const decision = policyOf(source).evaluate({
    ...facts,
    host: undefined,
    secFetchSite: own ? 'same-origin' : undefined,
  });
  // A handshake is a GET the browser sends without CORS: a refused origin is refused outright,
  // where a plain GET would only have its response hidden (docs/websocket.md).
  if (decision.allowed && method === 'GET')
    return { allowed: true, status: undefined, reason: decision.reason, message: undefined, decision };
  return {
    allowed: false,
    status: 403,
    reason: decision.reason,
    message:
      method === 'GET' ? `cross-origin WebSocket refused (${decision.reason})` : 'a handshake is a GET',
    decision,
  };
}
