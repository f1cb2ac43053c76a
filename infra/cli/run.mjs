#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on a fresh clone: installs the npm dependencies when
// they are missing or stale (package-lock.json newer than the install) with `npm install` (npm ci
// refuses lock files without the optional per-platform packages some registries leave out), then hands over to the
// TypeScript command. Plain JavaScript on purpose: it runs before tsx exists.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const command = process.argv[2];
const targets = { start: 'infra/cli/start.ts', test: 'infra/cli/test.ts' };
if (!(command in targets)) {
  console.error(`usage: run.mjs ${Object.keys(targets).join('|')} [args]`);
  process.exit(2);
}

const marker = join(root, 'node_modules', '.package-lock.json');
const stale = !existsSync(marker) || statSync(join(root, 'package-lock.json')).mtimeMs > statSync(marker).mtimeMs;
if (stale) {
  console.log('installing npm dependencies (npm install, from package-lock.json)…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('npm install failed: check access to the npm registry, then rerun');
    process.exit(1);
  }
}

const tsx = join(root, 'node_modules', '.bin', 'tsx');
const child = spawn(tsx, [join(root, targets[command]), ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the whole terminal group; a signal sent to this wrapper alone is passed on.
// Either way the TypeScript command stops what it started and its status becomes ours.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
