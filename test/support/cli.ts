import { spawn, spawnSync, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * `crops` from the TypeScript sources, so a test never runs a stale build; the compiled package
 * (dist/, bin/crops.js) is tested by test/package.spec.ts, which packs and installs it.
 */
export const BIN = resolve(import.meta.dirname, '../../bin/crops-dev.js');

/**
 * Process groups of the `crops` processes tests started. Each runs in its own group (`detached`),
 * which its trial workers join, so a test that times out or fails half-way cannot leave a sweep
 * training on the shared CPUs: the setup file kills what is left of every group after each test.
 */
const groups = new Set<number>();

/** Kills whatever is left of the process groups started by {@link runCli} and {@link spawnCli}. */
export function killStartedGroups(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the whole group has exited already
    }
  }
  groups.clear();
}

/** Runs the `crops` command line in a child process, as a user would. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }) {
  // Node's spawnSync honours `detached` (it shares spawn's option handling); its types leave it out.
  // A timeout kills only `crops` itself: its workers go with the group, here and now.
  const options: SpawnSyncOptionsWithStringEncoding & { detached: boolean } = {
    cwd: opts.cwd,
    env: { ...process.env, MLFLOW_TRACKING_URI: '', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    detached: true,
  };
  const res = spawnSync(process.execPath, [BIN, ...args], options);
  if (res.pid) {
    groups.add(res.pid);
    killStartedGroups();
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Starts `node ARGS` (a `crops` command: `[BIN, 'run', ...]`) without waiting, in a process group
 * that is killed after the test whatever happens to it. Signals meant for the command go to
 * `child.pid`; a terminal's Ctrl-C, to the whole group, is `process.kill(-child.pid, 'SIGINT')`.
 */
export function spawnCli(args: string[], opts: SpawnOptionsWithoutStdio): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, args, { ...opts, detached: true });
  if (child.pid) groups.add(child.pid);
  return child;
}
