/**
 * The scan report as people and tools read it: text for a terminal, SARIF 2.1.0 for code
 * scanning (GitHub, GitLab, Azure DevOps). `--json` is the `ScanReport` itself.
 */

import { SARIF_LEVEL, SECURITY_SEVERITY, sarifRule } from '../catalogue/sarif.js';
import { style } from '../cli/style.js';
import { gatewayVersion } from '../package-version.js';
import { atLeast, FINDING_IDS, SEVERITIES, type Severity } from './findings.js';
import type { Finding, ScanReport } from './run.js';

/**
 * Headers worth showing as evidence: the CORS ones, Vary and the origin the probe sent, and what
 * the other classes turn on (the token sent and the authentication asked for, the Allow list of an
 * upstream answering OPTIONS, a redirect's Location, the WebSocket handshake; not Connection).
 */
const EVIDENCE =
  /^(origin|vary|access-control-|authorization|www-authenticate|allow|location|upgrade|sec-websocket-)/i;

/** The readable report: each finding with its proof, impact and fix, then the notes. */
export function renderScan(report: ScanReport, failOn: Severity, colour: boolean): string {
  const s = style(colour);
  const paint = (sev: Severity, text: string) =>
    sev === 'critical' || sev === 'high' ? s.red(text) : sev === 'medium' ? s.yellow(text) : text;
  const out: string[] = [s.bold(`corsgate scan ${report.url}`)];
  out.push(
    `trusted: ${report.trusted.length === 0 ? '(none given: look-alikes are built from the URL itself)' : report.trusted.join(', ')}`,
  );
  const counts = SEVERITIES.map(
    (sev) => [sev, report.findings.filter((f) => f.severity === sev).length] as const,
  )
    .filter(([, n]) => n > 0)
    .reverse()
    .map(([sev, n]) => `${n} ${sev}`);
  out.push(
    `${report.requests} requests; ${report.findings.length === 0 ? 'no findings' : `${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} (${counts.join(', ')})`}`,
  );
  for (const f of report.findings) {
    out.push('', paint(f.severity, `${f.severity.toUpperCase()} ${f.id}: ${f.title}`), `  ${f.message}`);
    out.push(`  probe:  ${f.probe.request.method} ${f.probe.request.url}`);
    for (const [n, v] of f.probe.request.headers)
      if (EVIDENCE.test(n)) out.push(s.dim(`          > ${n}: ${v}`));
    if (f.probe.response !== undefined) {
      out.push(s.dim(`          < ${f.probe.response.status}`));
      for (const [n, v] of f.probe.response.headers)
        if (EVIDENCE.test(n)) out.push(s.dim(`          < ${n}: ${v}`));
    }
    out.push(`  impact: ${f.impact}`, `  fix:    ${f.fix}`);
  }
  if (report.notes.length > 0) out.push('', 'notes:', ...report.notes.map((n) => `  - ${n}`));
  out.push('');
  if (report.error !== undefined) out.push(s.red(`error: ${report.error.message}`));
  else {
    const failing = report.findings.filter((f) => atLeast(f.severity, failOn)).length;
    out.push(
      failing === 0
        ? s.green(`result: no finding at or above ${failOn}`)
        : s.red(`result: ${failing} finding${failing === 1 ? '' : 's'} at or above ${failOn}`),
    );
  }
  return `${out.join('\n')}\n`;
}

const version = gatewayVersion;

/**
 * The report as a SARIF 2.1.0 log: one rule per finding class (its most severe level as the
 * default, from the failure catalogue), one result per finding located at the scanned URL, the probe in its properties.
 */
export function toSarif(report: ScanReport): object {
  const ids: readonly string[] = FINDING_IDS;
  const rules = FINDING_IDS.map(sarifRule);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'corsgate',
            semanticVersion: version(),
            informationUri: 'https://www.npmjs.com/package/@corsgate/gateway',
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: report.error === undefined,
            ...(report.error === undefined
              ? {}
              : {
                  toolExecutionNotifications: [{ level: 'error', message: { text: report.error.message } }],
                }),
          },
        ],
        results: report.findings.map((f) => result(f, ids.indexOf(f.id), report.url)),
      },
    ],
  };
}

function result(f: Finding, ruleIndex: number, url: string): object {
  return {
    ruleId: f.id,
    ruleIndex,
    level: SARIF_LEVEL[f.severity],
    message: { text: `${f.message}. Impact: ${f.impact}. Fix: ${f.fix}.` },
    locations: [{ physicalLocation: { artifactLocation: { uri: url } } }],
    partialFingerprints: { corsgateFinding: `${f.id}:${url}` },
    properties: {
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      credentials: f.credentials,
      probe: f.probe,
    },
  };
}
