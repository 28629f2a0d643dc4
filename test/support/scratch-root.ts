/**
 * Vitest global setup: one scratch folder per test run. Tests make their folders with mkdtemp under
 * os.tmpdir(), and many of them (CLI runs, packed installs, MLflow stores) are hundreds of MB that no
 * single test can safely remove while a child process may still hold them. Pointing TMPDIR at one
 * folder, which the forked test workers and every process they spawn inherit, and removing it when
 * the run ends keeps repeated local runs from filling the disk. CROPS_KEEP_TEST_TMP=1 keeps it for
 * a post-mortem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'crops-tests-'));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.CROPS_KEEP_TEST_TMP) {
      process.stderr.write(`test scratch kept in ${root}\n`);
      return;
    }
    // a process a failed test left behind may still be writing; what it adds after this is its own
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
