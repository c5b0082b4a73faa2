export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { cors } from './fastify.js';
