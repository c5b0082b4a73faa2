/**
 * `corsgate/internal`: what the gateway (`@corsgate/gateway`) shares with the library beyond its
 * public API. Chiefly the request path the adapters and the gateway share, so one request gets one
 * decision and one reason whichever way it came in (docs/engine.md "One request path"). Not public
 * API: it may change in any release.
 * @internal
 * @module
 */
export { invalidAllowlistError } from './allowlist/errors.js';
export { formatPath } from './engine/errors.js';
export { escapeControlCharacters, excerpt, jsonForTerminal, locationOf } from './engine/problem.js';
export { answerStatus, answersItself, isBlocked } from './request/answer.js';
export { type HeaderView, requestFacts } from './request/facts.js';
export { answerResponse, applyToResponse, fetchFacts } from './request/fetch.js';
export { answerNode, applyToNode, nodeFacts, nodeVary } from './request/node.js';
