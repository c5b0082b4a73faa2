import { readFileSync, writeFileSync } from 'node:fs';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import ts from 'typescript';
import { packageBuild } from '../../scripts/tsup-package.mjs';

// The public-suffix list is ~135 kB of data. Both formats load the one CommonJS copy in
// dist/public-suffixes.cjs (an ES module may import CommonJS; CommonJS cannot require an ES module
// on every Node we support), so the tarball carries it once (docs/packaging.md).
const DATA_SOURCE = 'src/engine/_public-suffixes.ts';
const DATA_OUTPUT = 'public-suffixes.cjs';

const shareSuffixData: Plugin = {
  name: 'corsgate-public-suffix-data',
  setup(build) {
    build.onResolve({ filter: /\/_public-suffixes\.js$/ }, () => ({
      path: `./${DATA_OUTPUT}`,
      external: true,
    }));
  },
};

async function writeSuffixData(): Promise<void> {
  const { outputText } = ts.transpileModule(readFileSync(DATA_SOURCE, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: false,
    },
  });
  writeFileSync(`dist/${DATA_OUTPUT}`, outputText);
}

export default defineConfig(
  packageBuild({
    entry: {
      index: 'src/index.ts',
      allowlist: 'src/allowlist/index.ts',
      websocket: 'src/websocket/index.ts',
      express: 'src/adapters/express/index.ts',
      fastify: 'src/adapters/fastify/index.ts',
      koa: 'src/adapters/koa/index.ts',
      hono: 'src/adapters/hono/index.ts',
      node: 'src/adapters/node/index.ts',
      fetch: 'src/adapters/fetch/index.ts',
      internal: 'src/internal.ts',
    },
    plugins: [shareSuffixData],
    onSuccess: writeSuffixData,
  }),
);
