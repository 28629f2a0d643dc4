import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * `crops` from the TypeScript sources, so a test never runs a stale build; the compiled package
 * (dist/, bin/crops.js) is tested by test/package.spec.ts, which packs and installs it.
 */
export const BIN = resolve(import.meta.dirname, '../../bin/crops-dev.js');

/** Runs the `crops` command line in a child process, as a user would. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }) {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, MLFLOW_TRACKING_URI: '', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}
