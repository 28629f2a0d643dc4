/** The one way crops-lab replaces a file: readers see the old content or the new, never a torn one. */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `content` to a uniquely named temporary file in `dir` and returns its path. `durable`
 * flushes it to disk first, where a torn file after a crash would cost more than the fsync.
 */
export async function writeTemp(dir: string, content: string | Uint8Array, durable = false): Promise<string> {
  const tmp = join(dir, `.crops-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(tmp, content, { flush: durable });
  } catch (e) {
    // a full disk must not keep the half-written file (and so keep the disk full)
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return tmp;
}

/**
 * Writes `content` to a temporary file and renames it over `target`, so a crashed or concurrent
 * writer never leaves a half-written file. The temporary file lives in `tmpDir` (default: the
 * target's directory, which must exist; a rename only stays atomic within one file system).
 */
export async function atomicWrite(target: string, content: string | Uint8Array, tmpDir = dirname(target), durable = false): Promise<void> {
  const tmp = await writeTemp(tmpDir, content, durable);
  try {
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
