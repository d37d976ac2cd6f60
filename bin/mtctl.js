#!/usr/bin/env node
// mtctl: the operators' command line (TypeScript sources run through tsx).
require('tsx/cjs');
require('../src/client/mtctl.ts').main();
