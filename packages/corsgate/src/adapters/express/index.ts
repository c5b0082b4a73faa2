export type { CorsOptions, MiddlewareOptions, PolicyOptions } from '../_shared.js';
export { cors, type ExpressCorsMiddleware } from './express.js';
