/** @corsgate/gateway: the `corsgate` command and the gateway server. */

export type { AddressSpace, Browser, HeaderPair } from './browser-model/index.js';
export * as browserModel from './browser-model/index.js';
export { type OriginAnswer, originOfUrl } from './browser-model/origin.js';
export {
  CATALOGUE,
  type ClassId,
  type ClassKind,
  type CorsgateChange,
  type FailureClass,
  type Severity,
} from './catalogue/classes.js';
export type { Finding } from './catalogue/finding.js';
export {
  type CheckInput,
  type CheckOptions,
  type CheckTrace,
  checkRequest,
  type ExchangeTrace,
  MISTAKES,
  type Mistake,
  type MistakeCode,
  type RedirectHop,
  type StepStatus,
  type TraceStep,
} from './check/check-request.js';
export { EXIT } from './cli/exit-codes.js';
export type { CliIo } from './cli/io.js';
export { main } from './cli/main.js';
export type { ProbeRequest, ProbeResponse } from './probe/trace.js';
export type { FindingId } from './scan/findings.js';
