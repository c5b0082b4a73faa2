export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { cors, type HonoCorsMiddleware } from './hono.js';
