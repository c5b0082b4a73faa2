/**
 * The `explain --har` report as people and tools read it: text for a terminal, the report itself
 * for `--json`, a SARIF 2.1.0 log for `--sarif` (one rule per class reported, one result per
 * failed request, located at its entry of the HAR).
 */
import { BROWSERS } from '../browser-model/index.js';
import { sarifRule } from '../catalogue/sarif.js';
import { style } from '../cli/style.js';
import { gatewayVersion } from '../package-version.js';
import { classView } from './classes.js';
import type { Diagnosis, HarReport } from './diagnose.js';

const ENGINE_LABEL = {
  chromium: 'Chromium',
  firefox: 'Firefox',
  safari: 'Safari',
  unknown: 'an unknown browser',
};

function entryLabel(d: Diagnosis): string {
  const parts = [
    ...(d.entry === undefined ? [] : [`entry ${d.entry}`]),
    ...(d.preflightEntry === undefined ? [] : [`preflight entry ${d.preflightEntry}`]),
  ];
  return parts.join(', ');
}

function corsgateLine(d: Diagnosis): string {
  if (d.corsgate.allowlistLine !== undefined)
    return `add the line "${d.corsgate.allowlistLine}" to the allowlist`;
  if (d.corsgate.flags !== undefined) return `start the gateway with ${d.corsgate.flags.join(' ')}`;
  return d.corsgate.text;
}

/** The readable report: each failed request with its class, engines, fix and unknowns. */
export function renderHarReport(file: string, report: HarReport, colour: boolean): string {
  const s = style(colour);
  const out: string[] = [
    s.bold(`corsgate explain --har ${file}`),
    `written by ${ENGINE_LABEL[report.engine]}${report.creator === '' ? '' : ` (${report.creator})`}: ${report.entries} entries, ${report.crossOrigin} cross-origin request${report.crossOrigin === 1 ? '' : 's'}, ${report.diagnoses.length} failed`,
  ];
  report.diagnoses.forEach((d, i) => {
    out.push('', s.bold(`${i + 1}. ${d.method} ${d.url} from ${d.origin}`) + s.dim(` (${entryLabel(d)})`));
    out.push(
      `   ${d.notCors ? s.yellow('NOT CORS') : s.red('CORS')} ${d.classId}: ${d.title}`,
      `   ${d.message}`,
    );
    for (const b of BROWSERS) out.push(`   ${b.padEnd(8)} ${d.engines[b].message}`);
    if (d.credentials === 'inferred')
      out.push(
        '   credentials: the request must have carried credentials (only a credentialed request fails this way)',
      );
    out.push(`   fix: ${d.fix}`, `   with corsgate: ${corsgateLine(d)}`);
    for (const u of d.unknowns) out.push(s.dim(`   the file cannot tell: ${u}`));
  });
  for (const n of report.notes) out.push('', s.dim(`note: ${n}`));
  if (report.diagnoses.length === 0)
    out.push(
      '',
      s.green(
        report.crossOrigin === 0 ? 'no cross-origin request in the file' : 'no cross-origin request failed',
      ),
    );
  return `${out.join('\n')}\n`;
}

/** Not a class: a failed request whose cause the file does not show. */
const UNEXPLAINED_RULE = {
  id: 'unexplained',
  shortDescription: { text: classView('unexplained').title },
  help: { text: `${classView('unexplained').fix}.` },
  defaultConfiguration: { level: 'warning' },
};

/** The report as a SARIF 2.1.0 log. */
export function harToSarif(file: string, report: HarReport): object {
  const ids = [...new Set(report.diagnoses.map((d) => d.classId))];
  // The catalogue's own rule for each class (its SARIF rule id is the class id, docs/failures.md).
  const rules = ids.map((id) => (id === 'unexplained' ? UNEXPLAINED_RULE : sarifRule(id)));
  const results = report.diagnoses.map((d) => ({
    ruleId: d.classId,
    ruleIndex: ids.indexOf(d.classId),
    level: d.notCors ? 'warning' : 'error',
    message: {
      text: `${d.method} ${d.url} from ${d.origin}: ${d.message}. Fix: ${d.fix}. With corsgate: ${corsgateLine(d)}.`,
    },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: file } },
        logicalLocations: [{ fullyQualifiedName: `log.entries[${d.entry ?? d.preflightEntry}]` }],
      },
    ],
    properties: {
      engines: d.engines,
      credentials: d.credentials,
      unknowns: d.unknowns,
      corsgate: d.corsgate,
    },
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'corsgate',
            semanticVersion: gatewayVersion(),
            informationUri: 'https://www.npmjs.com/package/@corsgate/gateway',
            rules,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.notes.map((n) => ({ level: 'note', message: { text: n } })),
          },
        ],
        results,
      },
    ],
  };
}
