/**
 * A model of the browser's side of the CORS protocol (Fetch Standard), used by `corsgate check`
 * and by tests as an oracle: what a browser sends, and what it accepts. Pure: no I/O.
 */
export * from './fetch-names.js';
export * from './local-network.js';
export * from './request-headers.js';
export * from './response.js';
export * from './script-request.js';
