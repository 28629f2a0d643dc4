/**
 * The ways crops-lab writes files: readers see the old content or the new, never a torn one, and a
 * write that fails (a full disk) leaves nothing of itself behind and says what it was writing where.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, rename, stat, truncate, unlink, writeFile } from 'node:fs/promises';
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

/** Whether `e` says the disk (or the user's quota) has no room left. */
export const isDiskFull = (e: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException | undefined)?.code ?? '');

/** An error naming what was being written where, and why; ENOSPC says the disk is full. */
export function writeError(what: string, path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOSPC' ? 'the disk is full (ENOSPC); free space and run again' : code === 'EDQUOT' ? 'the disk quota is used up (EDQUOT)' : (e as Error).message;
  return Object.assign(new Error(`could not write ${what} ${path}: ${why}`), { code, cause: e });
}

/**
 * Appends `data` to `path` all or nothing: when the write fails part-way (a full disk), the file is
 * cut back to its old length, so no torn line is left for readers or for the next append to run on.
 * `what` names the content in the error, e.g. `MLflow metric 'loss' of run 3f2a...`.
 */
export async function appendWhole(path: string, data: string | Uint8Array, what: string): Promise<void> {
  const before = await stat(path).then(
    (s) => s.size,
    () => undefined,
  );
  try {
    await appendFile(path, data);
  } catch (e) {
    if (before === undefined) await unlink(path).catch(() => undefined);
    else await truncate(path, before).catch(() => undefined);
    throw isDiskFull(e) ? writeError(what, path, e) : e;
  }
}

/** Writes a whole new file; a write that fails part-way removes what it wrote, and names the file. */
export async function writeWhole(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    if (!isDiskFull(e)) throw e;
    // the file holds part of `data`: a torn file that keeps the disk full
    await unlink(path).catch(() => undefined);
    throw writeError(what, path, e);
  }
}
