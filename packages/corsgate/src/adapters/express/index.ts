export type { DeniedEvent } from '../../request/denied.js';
export type { CompiledPolicyOptions, CorsOptions, MiddlewareOptions } from '../_shared.js';
export { cors, type ExpressCorsMiddleware } from './express.js';
