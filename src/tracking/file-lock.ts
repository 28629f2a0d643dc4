import { open, rm, stat } from 'node:fs/promises';
import { CropsError } from '../core/errors.ts';
import { errno } from './file-store-io.ts';

/** Creating an experiment takes milliseconds; a lock this old was left by a process that died. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL, so it works across
 * processes on one machine). A lock older than {@link STALE_LOCK_MS} is taken over; waiting longer
 * than {@link LOCK_WAIT_MS} fails with a message naming the file.
 */
export async function withFileLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else if (Date.now() > deadline) throw new CropsError(`waited ${LOCK_WAIT_MS / 1000}s for ${lock}; if no other crops process is running, delete that file`);
      else await new Promise((r) => setTimeout(r, 15));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
