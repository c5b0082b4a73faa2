#!/usr/bin/env node
// The `corsgate` command. This file is committed (not built) so that `npm install` links it into
// node_modules/.bin on a fresh clone before dist/ exists; it loads the built command
// (docs/packaging.md, "The corsgate command").
import '../dist/cli/bin.js';
