/**
 * The browser matrix (test/browser/_matrix.ts) against nginx running `corsgate export nginx`, in
 * Chromium (docs/nginx.md "Proof"): every row the export can run, side by side in one browser,
 * with the same expectations as every other way in. Rows whose policy the exporter refuses are
 * gaps naming the code.
 */
import type { Case } from './_cases.js';
import { defineRows } from './_matrix.js';
import { nginxWay } from './_nginx-way.js';

const REFUSED: Partial<Record<Case['variant'], string>> = {
  any: 'corsgate export nginx refuses a list holding * (CG_EXPORT_ANY_ORIGIN)',
  debug: 'corsgate export nginx refuses debug (CG_EXPORT_DEBUG)',
};

defineRows('chromium', 'Chromium', [nginxWay], true, (c) => REFUSED[c.variant]);
