#!/usr/bin/env node
// The public API of every published package, one report per entry point, kept in the repository
// (docs/packaging.md "Public API reports"). API Extractor reads each entry point's built
// declarations (dist/, so `node scripts/ensure.mjs` first) and writes what they export, signature
// by signature, to packages/NAME/api/ENTRY.api.md.
//   node scripts/api-report.mjs           check: exit 1 when a report differs from the build
//   node scripts/api-report.mjs --update  rewrite the reports (`npm run api:update`)
// A change of the surface then shows in review as a change of its report, and `npm run lint`
// fails when the report was not updated with it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');

/** Each published workspace's entry points: [report name, types file], from its `exports`. */
function entryPoints(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  if (manifest.private === true || manifest.exports === undefined) return [];
  const short = manifest.name.replace(/^@[^/]+\//, '');
  const out = [];
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const types = target?.import?.types;
    if (typeof types !== 'string') continue;
    const name = subpath === '.' ? short : `${short}-${subpath.slice(2).replaceAll('/', '-')}`;
    out.push({ name, types: join(packageDir, types), manifest: join(packageDir, 'package.json') });
  }
  return out;
}

// Only the report matters here: no rollup, no doc model, no TSDoc lint. A message that would
// change what the report says (a type used but not exported) is written into the report itself.
const quiet = { default: { logLevel: ExtractorLogLevel.None } };
const messages = {
  compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
  extractorMessageReporting: {
    ...quiet,
    'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: true },
  },
  tsdocMessageReporting: quiet,
};

function configOf(entry, tempFolder) {
  const packageDir = dirname(entry.manifest);
  if (update) mkdirSync(join(packageDir, 'api'), { recursive: true });
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder: packageDir,
      mainEntryPointFilePath: entry.types,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            skipLibCheck: true,
            types: ['node'],
          },
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.name,
        reportFolder: join(packageDir, 'api'),
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages,
    },
    configObjectFullPath: join(packageDir, 'api-extractor.json'),
    packageJsonFullPath: entry.manifest,
  });
}

/** Reports every entry point of one package from one TypeScript program (one parse, not one each). */
function extractPackage(entries, tempFolder) {
  const configs = entries.map((entry) => configOf(entry, tempFolder));
  const compilerState = CompilerState.create(configs[0], {
    additionalEntryPoints: configs.map((c) => c.mainEntryPointFilePath),
  });
  return configs.map((config, i) => {
    const result = Extractor.invoke(config, {
      localBuild: update,
      compilerState,
      printApiReportDiff: !update,
      messageCallback: (message) => {
        // API Extractor analyses with the TypeScript it bundles, and says so every time.
        if (message.messageId === 'console-preamble') message.handled = true;
      },
    });
    return { name: entries[i].name, result };
  });
}

const tempFolder = mkdtempSync(join(tmpdir(), 'corsgate-api-'));
const stale = [];
try {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const workspace of workspaces) {
    const entries = entryPoints(join(root, workspace));
    if (entries.length === 0) continue;
    for (const entry of entries)
      if (!existsSync(entry.types)) {
        console.error(`${entry.types} is not built: run node scripts/ensure.mjs first`);
        process.exit(1);
      }
    for (const { name, result } of extractPackage(entries, tempFolder))
      if (!result.succeeded || (!update && result.apiReportChanged)) stale.push(name);
  }
} finally {
  rmSync(tempFolder, { recursive: true, force: true });
}
if (stale.length > 0) {
  console.error(
    `the public API of ${stale.join(', ')} differs from its report in packages/*/api/: if the change is meant, run npm run api:update and commit the reports (docs/packaging.md "Public API reports")`,
  );
  process.exit(1);
}
console.log(update ? 'API reports written' : 'every public API matches its report');
