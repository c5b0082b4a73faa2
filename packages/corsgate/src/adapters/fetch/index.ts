export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { type CorsFetchHandler, withCors } from './fetch.js';
