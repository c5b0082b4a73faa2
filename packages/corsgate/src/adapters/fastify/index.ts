export type { CorsOptions, PolicyOptions } from '../_shared.js';
export { cors } from './fastify.js';
