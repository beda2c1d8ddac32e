#!/usr/bin/env node
'use strict';
// Entry point of the `mlops` command; the TypeScript sources compile to dist/ (npm run build).
const path = require('node:path');
const fs = require('node:fs');

// The AWS SDK warns on every command that its releases after January 2027 need Node 22. package-lock.json pins the SDK
// releases this project is tested with, so the warning is noise here. Set the variable to false to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const cli = path.join(__dirname, '..', 'dist', 'client', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('mlops: dist/ is missing; run `npm ci` or `npm run build` in the repository first\n');
  process.exit(1);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    // Exit once stdout has drained, so piped JSON output is never cut short.
    process.stdout.write('', () => process.exit(code));
  }, (err) => {
    process.stderr.write(`mlops: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
