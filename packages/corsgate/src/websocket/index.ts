/**
 * `corsgate/websocket`: decide a WebSocket handshake's `Origin` with the same policy as requests,
 * for applications that handle upgrades themselves (`ws`, socket.io, uWebSockets.js). See
 * docs/websocket.md.
 * @module
 */
export {
  decideHandshake,
  type HandshakeDecision,
  type HandshakeOptions,
  type HandshakeRequest,
  type PolicySource,
} from './handshake.js';
