/** The matrix in WebKit (Debian webkit2gtk-driver's MiniBrowser, WebDriver classic): test/browser/_matrix.ts. */
import { defineMatrix } from './_matrix.js';

defineMatrix('webkit', 'WebKit', false);
