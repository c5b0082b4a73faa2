/** Running the gateway: a single process, or a cluster primary and its workers. */
export { localAdminBackend } from './admin-backends.js';
export { runPrimary } from './primary.js';
export { runWorker } from './worker.js';
