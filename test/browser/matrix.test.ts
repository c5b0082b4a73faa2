/** The matrix in Chromium (Debian chromium, playwright-core): test/browser/_matrix.ts. */
import { defineMatrix } from './_matrix.js';

defineMatrix('chromium', 'Chromium', true);
