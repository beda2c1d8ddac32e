#!/usr/bin/env node
/**
 * Copies the plain JavaScript files that run as separate processes (the
 * local provider's job runner and endpoint host) next to their compiled
 * siblings in dist/, because tsc only emits what it compiles.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const folders = ['activities/provider/local'];
for (const folder of folders) {
  const from = path.join(root, folder);
  if (!fs.existsSync(from)) continue;
  const to = path.join(root, 'dist', folder);
  fs.mkdirSync(to, { recursive: true });
  for (const file of fs.readdirSync(from)) {
    if (file.endsWith('.js')) fs.copyFileSync(path.join(from, file), path.join(to, file));
  }
}
