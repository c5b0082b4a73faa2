/**
 * Which catalogue class a failed check of the browser model is: `check`'s failing steps name it
 * (`TraceStep.classId`), so `check`, `scan`, `explain` and docs/failures.md use one id for one
 * failure.
 */
import type { PreflightStep } from '../browser-model/response.js';
import type { ClassId } from './classes.js';

/** A failed CORS check (R10): which header failed and the value it had (null when absent). */
export function classOfCorsFailure(failure: {
  readonly header?: string;
  readonly value?: string | null;
}): ClassId {
  if (failure.header === 'Access-Control-Allow-Credentials') return 'credentials-not-allowed';
  const value = failure.value ?? null;
  if (value === null) return 'acao-missing';
  if (value === '*') return 'wildcard-with-credentials';
  // Several lines are joined with ", " (R10): never one origin.
  if (value.includes(',')) return 'acao-duplicate';
  return 'acao-mismatch';
}

/** A failed step of the preflight checks (R14–R19); `status` is the preflight's status. */
export function classOfPreflightStep(step: PreflightStep, status: number): ClassId {
  switch (step.id) {
    case 'cors-check':
      return classOfCorsFailure(step);
    case 'status':
      return status >= 300 && status <= 399 ? 'preflight-redirect' : 'preflight-status';
    case 'methods':
      return 'method-not-allowed';
    case 'headers':
      return 'header-not-allowed';
  }
}
