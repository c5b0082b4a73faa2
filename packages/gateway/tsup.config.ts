import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package.mjs';

export default defineConfig(
  packageBuild({
    entry: { index: 'src/index.ts' },
    // bin/corsgate.js (committed, so npm links it even before the first build) loads this.
    bin: { 'cli/bin': 'src/cli/bin.ts' },
  }),
);
