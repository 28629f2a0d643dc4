import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CODE_ROOT } from './version.ts';

let cached: string | undefined;

/**
 * A hash of the framework's own code (every non-test module and text asset under `src/`, `kits/` and
 * `plugins/`, as TypeScript sources or as the compiled `dist/`),
 * plus any extra files given (external plugin modules). Caches keyed by it never serve results
 * computed by different code, even between releases. Computed once per process (a few ms).
 */
export function codeFingerprint(extraFiles: readonly string[] = []): string {
  cached ??= hashFiles(
    ['src', 'kits', 'plugins']
      .map((d) => join(CODE_ROOT, d))
      .filter((d) => existsSync(d))
      .flatMap(sourceFiles),
  );
  if (extraFiles.length === 0) return cached;
  return createHash('sha256').update(cached).update(hashFiles([...extraFiles].sort())).digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js|md|ya?ml)$/.test(entry.name) && !/\.(spec|d)\.ts$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

function hashFiles(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(CODE_ROOT, f)).update('\0');
    try {
      h.update(readFileSync(f)).update('\0');
    } catch {
      h.update('missing\0');
    }
  }
  return h.digest('hex').slice(0, 16);
}
