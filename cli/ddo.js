#!/usr/bin/env node
// The `ddo` command as npm links it (package.json "bin"). It is plain JavaScript, kept in git
// with its executable bit, because `npm install` compiles nothing: the CLI itself is TypeScript
// built into dist/ by `npm start` or `npm run build`. Until then this says so instead of failing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  const root = path.dirname(__dirname);
  process.stderr.write(`error: ddo is not built yet; run \`npm run build\` in ${root} first.\n`);
  process.exit(2);
}
require(main)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
