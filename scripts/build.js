#!/usr/bin/env node
// Builds the package into dist/: tsc emits JavaScript, declarations and source maps for src/, plugins/
// and kits/ (tsconfig.build.json); then every non-TypeScript file under those folders that the code reads
// at run time (prompt templates, YAML defaults, ...) is copied next to its compiled module.
// dist/ is removed first so files moved or deleted in the sources never linger in a build.
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
const SOURCE_DIRS = ['src', 'plugins', 'kits'];

rmSync(OUT, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const res = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (res.status !== 0) process.exit(res.status ?? 1);

/** Everything but TypeScript sources (compiled above) and tests. */
const isAsset = (name) => !/\.(ts|mts|cts|tsx)$/.test(name) && !/\.spec\./.test(name);

let copied = 0;
function copyAssets(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(path);
    else if (entry.isFile() && isAsset(entry.name)) {
      cpSync(path, join(OUT, relative(ROOT, path)));
      copied++;
    }
  }
}
for (const d of SOURCE_DIRS) if (existsSync(join(ROOT, d))) copyAssets(join(ROOT, d));
console.log(`built dist/ (${copied} asset file${copied === 1 ? '' : 's'} copied)`);
