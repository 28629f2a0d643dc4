import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the running code's `src/` and `plugins/`: the repository root when run from the
 * TypeScript sources, `dist/` when run compiled (this module is `<root>/src/core/version.{ts,js}`).
 */
export const CODE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The folder with crops-lab's package.json: the code root, or its parent for the compiled `dist/`. */
export const PACKAGE_ROOT = existsSync(resolve(CODE_ROOT, 'package.json')) ? CODE_ROOT : resolve(CODE_ROOT, '..');

/** The package version; part of every trial hash so a new release re-runs finished trials. */
export const CODE_VERSION: string = (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The git commit of the working tree, when there is one (recorded as an MLflow tag). */
export function gitCommit(cwd = process.cwd()): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}
