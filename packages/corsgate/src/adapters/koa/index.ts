export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { cors, type KoaCorsMiddleware } from './koa.js';
