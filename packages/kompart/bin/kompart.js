#!/usr/bin/env node
// `npx kompart`: this launcher is in git so that `npm install` links it before the first
// build; the program itself is src/bin.ts, compiled to dist/bin.js by `npm run build`.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const program = join(__dirname, '..', 'dist', 'bin.js');
if (!existsSync(program)) {
  process.stderr.write('kompart: não compilado; rode npm run build / not built yet; run npm run build\n');
  process.exit(1);
}
require(program);
