export type { CompiledPolicyOptions, CorsOptions, MiddlewareOptions } from '../_shared.js';
export { cors } from './fastify.js';
