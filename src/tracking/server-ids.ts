/**
 * Ids that come back from a tracking server (run ids, experiment ids) end up in file names (the
 * spool) and in URLs. A server that answers `../../x`, a path, or a megabyte of text must not make
 * crops-lab write or delete anything outside its own folders, so every id is checked before use.
 */
import { CropsError } from '../core/errors.ts';

/** MLflow run ids are 32 hex characters; other servers use UUIDs or short slugs. No dots, no slashes. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Whether `id` is safe to use as one path segment. */
export function isSafeServerId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id);
}

/** `id` unchanged when it is a safe path segment; a clear error naming the server otherwise. */
export function checkServerId(what: 'run_id' | 'experiment_id', id: unknown, server: string): string {
  if (isSafeServerId(id)) return id;
  const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id;
  throw new CropsError(
    `MLflow server ${server} answered ${what} ${shown}, which is not an id (expected 1-128 letters, digits, '-' or '_'); ` +
      'crops-lab refuses to build file names from it. Check that the tracking URI points at an MLflow server.',
  );
}
