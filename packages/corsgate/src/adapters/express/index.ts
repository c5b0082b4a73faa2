export type { CorsOptions, PolicyOptions } from '../_shared.js';
export { cors, type ExpressCorsMiddleware } from './express.js';
