import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup-package.mjs';

export default defineConfig(packageBuild({ entry: { index: 'src/index.ts' } }));
