export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { cors, type NodeCorsHandler } from './node.js';
