/**
 * Builds the part of node_modules that `crops doctor` and the tfjs part of the bench (the MiniLM
 * tower included) need, for a GPU machine that has no network: `bench/gpu/pack.sh` runs
 * `node bin/run-ts.js bench/gpu/prune-node-modules.ts OUT_DIR` and compresses the result with Node
 * and the rest of the pack (default OUT_DIR: `.gpu-pack/node_modules`).
 *
 * Kept: the runtime dependency closure of the packages below. TensorFlow.js packages keep only the
 * Node bundle their `main` names (plus the wasm binaries), Dawn (`webgpu`) only its linux-x64
 * binary; source maps, TypeScript sources and docs are dropped everywhere.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOTS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@huggingface/tokenizers',
  'inversify',
  'reflect-metadata',
  'yaml',
  'zod',
  'tsx',
];
const LIMIT_BYTES = 64 * 2 ** 20;

const repo = resolve(import.meta.dirname, '../..');
const out = resolve(process.argv[2] ?? join(repo, '.gpu-pack/node_modules'));

/** The folder of an installed package, resolved from `fromDir` the way Node would. */
function packageDir(name: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const keep = new Map<string, { name: string; main?: string }>();
function visit(name: string, fromDir: string): void {
  const dir = packageDir(name, fromDir);
  if (!dir || keep.has(dir)) return;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  keep.set(dir, { name, main: pkg.main });
  // optional dependencies are platform binaries (esbuild's): only those installed here are found
  for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) visit(dep, dir);
}
for (const root of ROOTS) {
  if (!packageDir(root, repo)) throw new Error(`${root} is not installed; run npm ci first`);
  visit(root, repo);
}

/** Whether a file of package `name` travels. */
function wanted(name: string, main: string | undefined, rel: string): boolean {
  if (/\.(map|ts|md|markdown)$/.test(rel) && !rel.endsWith('.d.ts')) return false;
  if (rel.endsWith('.d.ts')) return false;
  if (rel === 'package.json') return true;
  if (name.startsWith('@tensorflow/')) {
    const entry = main?.replace(/^\.\//, '');
    return rel === entry || (entry !== undefined && rel === `${entry}.js`) || rel.startsWith('wasm-out/') || rel.endsWith('.wasm');
  }
  if (name === 'webgpu') return !rel.startsWith('dist/') || rel.startsWith(`dist/${process.platform}-${process.arch}/`);
  return true;
}

rmSync(out, { recursive: true, force: true });
let bytes = 0;
const nodeModules = join(repo, 'node_modules');
for (const [dir, { name, main }] of keep) {
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      // nested node_modules are packages of their own, visited through the closure
      if (entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && wanted(name, main, rel)) {
        const target = join(out, relative(nodeModules, dir), rel);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(join(dir, rel), target);
        bytes += statSync(target).size;
      }
    }
  };
  walk('');
}
const mib = (bytes / 2 ** 20).toFixed(1);
console.log(`${keep.size} packages, ${mib} MiB in ${out}`);
if (bytes > LIMIT_BYTES) {
  console.error(`over the 64 MiB that may travel with the working tree`);
  process.exitCode = 1;
}
