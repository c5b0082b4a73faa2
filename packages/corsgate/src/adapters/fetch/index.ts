export type { CorsOptions, PolicyOptions } from '../_shared.js';
export { type CorsFetchHandler, withCors } from './fetch.js';
