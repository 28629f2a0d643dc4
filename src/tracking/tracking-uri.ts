import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CropsError } from '../core/errors.ts';

/** Where runs go: a local file store, or an MLflow tracking server. */
export type TrackingTarget = { kind: 'file'; root: string } | { kind: 'http'; url: string };

/**
 * Interprets a tracking URI the way MLflow does for the forms crops supports: a plain path or a
 * `file:` URI is a file store (relative paths resolve against `cwd`), `http(s)://` is a server.
 * `uri` falls back to `MLFLOW_TRACKING_URI`, then `./mlruns`.
 */
export function resolveTrackingUri(uri: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): TrackingTarget {
  const value = uri?.trim() || env.MLFLOW_TRACKING_URI?.trim() || './mlruns';
  if (/^https?:\/\//i.test(value)) return { kind: 'http', url: value };
  if (/^file:\/\//i.test(value)) return { kind: 'file', root: fileURLToPath(value) };
  if (/^file:/i.test(value)) return { kind: 'file', root: resolve(cwd, decodeURIComponent(value.slice('file:'.length))) };
  // two or more letters before ':' is a scheme; a single letter is a Windows drive
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value)?.[1];
  if (scheme) {
    throw new CropsError(
      `tracking URI ${JSON.stringify(value)} uses the unsupported scheme '${scheme}:'; use a directory path, a file: URI or an http(s):// MLflow server`,
    );
  }
  return { kind: 'file', root: resolve(cwd, value) };
}

/**
 * Trait of a tracker plugin whose runs land in MLflow at the `trackingUri` of its params (or the
 * default one), so `crops report` can read them back.
 */
export const MLFLOW_RUNS = 'mlflow-runs';
