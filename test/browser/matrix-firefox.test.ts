/** The matrix in Firefox (Debian firefox-esr, puppeteer-core over WebDriver BiDi): test/browser/_matrix.ts. */
import { defineMatrix } from './_matrix.js';

defineMatrix('firefox', 'Firefox', false);
