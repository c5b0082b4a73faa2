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
 * Decides a WebSocket handshake against the policy in force now.
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
 * @param scheme the scheme the client used; by default the socket's (`https` when TLS)
 */
export function decideHandshake(
  source: PolicySource,
  request: HandshakeRequest,
  scheme?: 'http' | 'https',
): HandshakeDecision {
  const method = request.method ?? 'GET';
  const own = scheme ?? (request.socket?.encrypted === true ? 'https' : 'http');
  const headers = request.headers as HeaderView;
  const decision = policyOf(source).evaluate(requestFacts(method, own, headers));
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
