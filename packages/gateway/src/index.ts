/** @corsgate/gateway: the `corsgate` command and the gateway server. */

export { EXIT } from './cli/exit-codes.js';
export { main } from './cli/main.js';
