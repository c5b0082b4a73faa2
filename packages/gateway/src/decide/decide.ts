/**
 * The gateway's one decision step, as Envoy's CORS filter is one filter before its router: the
 * request target normalised once (what is decided is what is forwarded), the route, the policy in
 * force now (the route's when one matches), same-origin by configuration (own-origins.ts), and the
 * engine's decision from the same facts the adapters build (`corsgate/internal`). HTTP/1.1, HTTP/2
 * and the WebSocket upgrade all call `decide`; only what they do with the answer differs
 * (docs/gateway.md "Architecture"). Nothing here writes to a socket, counts or logs.
 */
import type { IncomingMessage } from 'node:http';
import type { Decision, Policy, RequestFacts } from 'corsgate';
import type { AllowlistSnapshot } from 'corsgate/allowlist';
import { nodeFacts } from 'corsgate/internal';
import { type EscapedPathAction, normalizeTarget, type TargetProblem } from '../path/normalize.js';
import { OwnOrigins } from './own-origins.js';
import type { ResolvedRoute, RouteTable } from './routes.js';

/** A request the gateway decided: what to forward, and the decision to answer with. */
export interface DecidedRequest {
  readonly ok: true;
  /** The normalised target forwarded to the upstream (path and query). */
  readonly target: string;
  /** The normalised path: what routes match, what /denied and the logs show. */
  readonly path: string;
  readonly route: ResolvedRoute | undefined;
  readonly facts: RequestFacts;
  readonly decision: Decision;
  /** The route removes `Cookie` before forwarding. */
  readonly stripCookies: boolean;
}

/** A target the gateway will not guess at: nothing is decided about it (docs/gateway.md "Paths"). */
export interface RefusedTarget {
  readonly ok: false;
  readonly problem: TargetProblem;
  /** `*` (the asterisk form, RFC 9110 §7.1): only `OPTIONS *` means something. */
  readonly asterisk: boolean;
}

/** Where the decision reads the list in force from: the allowlist source (its current snapshot). */
export interface SnapshotSource {
  readonly current: AllowlistSnapshot;
}

export interface DeciderOptions {
  readonly source: SnapshotSource;
  readonly routes: RouteTable;
  readonly escapedPaths: EscapedPathAction;
  /** The gateway's own origins (`--public-origin`): the only same-origin callers. */
  readonly publicOrigins: readonly string[];
}

const ASTERISK: RefusedTarget = { ok: false, problem: 'target-form', asterisk: true };

export class Decider {
  readonly routes: RouteTable;
  private readonly source: SnapshotSource;
  private readonly escapedPaths: EscapedPathAction;
  private readonly ownOrigins: OwnOrigins;

  constructor(options: DeciderOptions) {
    this.source = options.source;
    this.routes = options.routes;
    this.escapedPaths = options.escapedPaths;
    this.ownOrigins = new OwnOrigins(options.publicOrigins);
  }

  /**
   * The snapshot in force: without routes the source's own; with routes, the route table holds
   * the snapshot together with the route policies compiled for it (swapped as one).
   */
  snapshot(): AllowlistSnapshot {
    return this.routes.empty ? this.source.current : this.routes.snapshot!;
  }

  /** Decides `req` against the list in force now. */
  decide(req: IncomingMessage): DecidedRequest | RefusedTarget {
    const snapshot = this.snapshot();
    const url = req.url ?? '/';
    if (url === '*') return ASTERISK;
    // The gateway decides on exactly the path it forwards (src/path/normalize.ts): a target whose
    // meaning depends on who decodes it is refused, never guessed at.
    const normalized = normalizeTarget(url, this.escapedPaths);
    if (!normalized.ok) return { ok: false, problem: normalized.problem, asterisk: false };
    const path = normalized.path;
    const route = this.routes.empty ? undefined : this.routes.resolve(path);
    const policy: Policy = route === undefined ? snapshot.policy : route.policy;
    const facts = this.facts(req);
    return {
      ok: true,
      target: normalized.query === '' ? path : path + normalized.query,
      path,
      route,
      facts,
      decision: policy.evaluate(facts),
      stripCookies: route?.stripCookies === true,
    };
  }

  /**
   * The list's decision for a request whose target was refused: the CORS headers its 400 carries,
   * so an allowed origin's script can read why.
   */
  decideRefused(req: IncomingMessage): Decision {
    return this.snapshot().policy.evaluate(this.facts(req));
  }

  /**
   * The adapters' request facts (corsgate/internal): the same facts, so the same decision and
   * reason. Only same-origin is the gateway's own (own-origins.ts: never by Host).
   */
  private facts(req: IncomingMessage): RequestFacts {
    return this.ownOrigins.facts(nodeFacts(req), req.headers);
  }
}
