#!/usr/bin/env node
'use strict';
// The `cloudsweep` command. Runs the transpiled CLI in dist/, rebuilding it first when a source
// file is newer (a fresh clone builds on `npm install`; this keeps a working tree honest too).
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
// The SDK's notice that its 2027 releases need Node 22 is for us, not for someone cleaning up keys.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const stamp = join(root, 'dist', '.built');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isStale() {
  if (!existsSync(stamp)) return true;
  if (!existsSync(join(root, 'src'))) return false; // an installed package ships dist/ only
  const built = statSync(stamp).mtimeMs;
  return ['cli', 'src'].some((dir) => newestSource(join(root, dir)) > built);
}

if (isStale()) {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
}
require(join(root, 'dist', 'cli', 'main.js')).main(process.argv.slice(2));
