export type { DeniedEvent } from '../../request/denied.js';
export type { CompiledPolicyOptions, CorsOptions, MiddlewareOptions } from '../_shared.js';
export { cors, type KoaCorsMiddleware } from './koa.js';
