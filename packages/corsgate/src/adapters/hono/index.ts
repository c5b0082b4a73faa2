export type { CorsOptions, PolicyOptions } from '../_shared.js';
export { cors, type HonoCorsMiddleware } from './hono.js';
