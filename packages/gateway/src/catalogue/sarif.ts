/**
 * A catalogue class as a SARIF 2.1.0 reporting descriptor (a rule): its id is the class id, its
 * default level and `security-severity` (GitHub code scanning ranks by it) its severity with
 * credentials, its help the generic and the corsgate fix, linking to docs/failures.md.
 */
import { CATALOGUE, type ClassId, type Severity } from './classes.js';

/** GitHub code scanning reads `security-severity` (0–10) to rank security results. */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};
export const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** Where each class is described for people: its section in docs/failures.md. */
export const FAILURES_DOC = 'https://github.com/corsgate/corsgate/blob/main/docs/failures.md';

export function sarifRule(id: ClassId): object {
  const c = CATALOGUE[id];
  return {
    id,
    name: id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.title },
    fullDescription: { text: `${c.title}. Impact: ${c.impact}.` },
    helpUri: `${FAILURES_DOC}#${id}`,
    help: {
      text: `Fix: ${c.fix}. With corsgate: ${c.corsgate.text}.`,
      markdown: `**Impact:** ${c.impact}.\n\n**Fix:** ${c.fix}.\n\n**With corsgate:** ${c.corsgate.text}.`,
    },
    defaultConfiguration: { level: SARIF_LEVEL[c.severity.credentials] },
    properties: {
      tags: ['security', 'cors', c.kind],
      'security-severity': SECURITY_SEVERITY[c.severity.credentials],
      rules: c.rules,
    },
  };
}
