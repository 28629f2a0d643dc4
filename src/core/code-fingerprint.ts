import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from './version.ts';

let cached: string | undefined;

/**
 * A hash of the framework's own source (every non-test `.ts` file under `src/`, `kits/` and `plugins/`),
 * plus any extra files given (external plugin modules). Caches keyed by it never serve results
 * computed by different code, even between releases. Computed once per process (a few ms).
 */
export function codeFingerprint(extraFiles: readonly string[] = []): string {
  cached ??= hashFiles(['src', 'kits', 'plugins'].flatMap((d) => sourceFiles(join(PACKAGE_ROOT, d))));
  if (extraFiles.length === 0) return cached;
  return createHash('sha256').update(cached).update(hashFiles([...extraFiles].sort())).digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|md)$/.test(entry.name) && !entry.name.endsWith('.spec.ts')) out.push(path);
  }
  return out.sort();
}

function hashFiles(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(PACKAGE_ROOT, f)).update('\0');
    try {
      h.update(readFileSync(f)).update('\0');
    } catch {
      h.update('missing\0');
    }
  }
  return h.digest('hex').slice(0, 16);
}
