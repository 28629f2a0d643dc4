import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The module a `--parallel` worker process runs: the compiled one next to this module in dist/, or the
 * TypeScript source when running from the sources (the worker pool then starts it through tsx).
 */
export const WORKER_ENTRY = fileURLToPath(new URL(`./trial-worker-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** The module `crops doctor` runs its probes in, so that what native libraries print can be held back. */
export const DOCTOR_ENTRY = fileURLToPath(new URL(`./doctor-probe-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
