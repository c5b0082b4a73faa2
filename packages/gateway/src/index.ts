/** @corsgate/gateway: the `corsgate` command and the gateway server. */

export * as browserModel from './browser-model/index.js';
export { originOfUrl } from './browser-model/origin.js';
export {
  type CheckOptions,
  type CheckTrace,
  checkRequest,
  MISTAKES,
  type Mistake,
  type MistakeCode,
  type TraceStep,
} from './check/check-request.js';
export { EXIT } from './cli/exit-codes.js';
export { main } from './cli/main.js';
