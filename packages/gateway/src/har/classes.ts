/**
 * The classes `explain --har` reports, read from the failure catalogue by id (docs/failures.md):
 * title, generic fix, corsgate fix, and whether a CORS change can help at all. `unexplained` is
 * not a class: it is what the report says when the file does not show why a request failed.
 */
import { CATALOGUE, type ClassId } from '../catalogue/classes.js';

export interface ClassView {
  readonly title: string;
  readonly fix: string;
  readonly corsgate: string;
  /**
   * True when no CORS header can fix it: the catalogue's `not-cors` classes, and a redirected
   * preflight (the redirect, not a header, is the problem; docs/failures.md).
   */
  readonly notCors: boolean;
}

export type HarClassId = ClassId | 'unexplained';

const UNEXPLAINED: ClassView = {
  title: 'the file does not show why the request failed',
  fix: 'export the HAR again with the failing request in it, or run corsgate check with the same request',
  corsgate: 'run corsgate check URL --origin ORIGIN with the same method and headers',
  notCors: false,
};

export function classView(id: HarClassId): ClassView {
  if (id === 'unexplained') return UNEXPLAINED;
  const c = CATALOGUE[id];
  return {
    title: c.title,
    fix: c.fix,
    corsgate: c.corsgate.text,
    notCors: c.kind === 'not-cors' || id === 'preflight-redirect',
  };
}
