export type { CorsOptions, PolicyOptions } from '../_shared.js';
export { cors, type KoaCorsMiddleware } from './koa.js';
