import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Experiment } from '../config/experiment.ts';
import { LauncherSettings } from '../config/launcher-settings.ts';
import { CropsError } from '../core/errors.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { MLFLOW_RUNS } from '../tracking/tracking-uri.ts';
import type { LogLevel } from '../core/logger.ts';
import { SlurmLauncher } from '../runner/slurm-launcher.ts';
import type { LauncherFactory } from '../runner/sweep-setup.ts';
import type { ExperimentArgs } from './validate-command.ts';

/** The module each Slurm array task runs: compiled next to this one in dist/, or the TypeScript source. */
const SLURM_TASK_ENTRY = fileURLToPath(new URL(`./slurm-task-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export const LAUNCHERS = ['local', 'slurm'] as const;

/**
 * The launcher of a run: `--launcher` wins over the file's `launcher:` section (whose sbatch
 * settings still apply); undefined means this machine (`local`: in process, or the worker pool
 * with `--parallel`).
 */
export function chooseLauncher(
  experiment: Experiment,
  opts: { flag?: string; detach: boolean; load: ExperimentArgs; cacheRoot: string; logLevel: LogLevel; registry: PluginRegistry },
): LauncherFactory | undefined {
  if (opts.flag !== undefined && !(LAUNCHERS as readonly string[]).includes(opts.flag)) {
    throw new CropsError(`--launcher: expected one of ${LAUNCHERS.join(', ')} (got '${opts.flag}')`, 2);
  }
  const use = opts.flag ?? experiment.launcher?.use ?? 'local';
  if (use === 'local') {
    if (opts.detach) throw new CropsError('--detach needs a launcher that runs trials elsewhere (--launcher slurm); a local sweep lives in this process', 2);
    return undefined;
  }
  const settings = experiment.launcher ?? LauncherSettings.parse({});
  const load: ExperimentArgs = { ...opts.load, file: resolve(opts.load.file) };
  const tracker = experiment.trials[0]!.config.tracker.use;
  const trackerKeepsMlflowRuns = opts.registry.has('tracker', tracker) && Boolean(opts.registry.get('tracker', tracker).provides?.includes(MLFLOW_RUNS));
  const slurm = { settings, taskEntry: SLURM_TASK_ENTRY, load, cacheRoot: opts.cacheRoot, logLevel: opts.logLevel, cwd: process.cwd(), trackerKeepsMlflowRuns };
  return (swept, services, sweep) =>
    new SlurmLauncher(slurm, { experiment: swept, activateBackend: () => services.activateBackend(), progress: sweep.progress, parallel: sweep.parallel ?? 1, detach: Boolean(sweep.detach) });
}
