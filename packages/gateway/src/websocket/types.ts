/** What the WebSocket modules share about one handshake (docs/websocket.md). */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Decision } from 'corsgate';

/** The HTTP path's decision for a request, as the upgrade needs it. */
export interface UpgradeDecision {
  /** The normalised target forwarded to the upstream (path and query). */
  readonly target: string;
  readonly path: string;
  readonly decision: Decision;
  readonly stripCookies: boolean;
}

/** One handshake the gateway has let through, from the client's request to its end. */
export interface Handshake {
  readonly req: IncomingMessage;
  /** The client's connection, no longer HTTP once node:http hands it over. */
  readonly client: Duplex;
  /** The decision in force for it: the first one, then the one made again at the 101. */
  decided: UpgradeDecision;
  /** `performance.now()` when it arrived. */
  readonly started: number;
}

/** Why an open WebSocket closed: the label of `corsgate_websocket_closed_total`. */
export type CloseReason = 'client' | 'upstream' | 'policy' | 'idle' | 'error' | 'shutdown';
