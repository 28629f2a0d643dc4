/**
 * crops-lab from code: load and validate experiments, build the plugin registry with extra plugins, and
 * run sweeps, with the same validation, resume and tracking as `crops run`. Like the commands, this is
 * part of the composition root: it is where the bundled plugins come in.
 */
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadExperiment as loadExperimentFile, type Experiment } from '../config/experiment.ts';
import { CropsError, type Diagnostic } from '../core/errors.ts';
import type { LogLevel } from '../core/logger.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { Progress } from '../runner/progress.ts';
import { runSweep as runSweepLoop } from '../runner/sweep.ts';
import type { TrialResult } from '../runner/trial-runner.ts';
import { createRegistry, type PluginSource } from './registry.ts';
import { nothingRun } from './validate-command.ts';
import { WORKER_ENTRY } from './worker-entry.ts';

/** An experiment file path, or the experiment itself as the object its YAML would parse to. */
export type ExperimentSource = string | Record<string, unknown>;

export interface ExperimentOptions {
  /** `key=value` overrides, as `crops run --set` (values parsed as YAML) */
  sets?: string[];
  /** `key=a,b,...` extra ablation axes, as `crops run --sweep` */
  sweeps?: string[];
  /** go past `maxTrials`, as `crops run --yes` */
  yes?: boolean;
  /** extra plugins (descriptors, modules or module file paths), added to the bundled ones */
  plugins?: PluginSource[];
  /** a registry to use instead of building one (then `plugins` must be left out) */
  registry?: PluginRegistry;
  /** for an experiment object: the folder its `extends` paths are relative to (default: the working directory) */
  baseDir?: string;
}

/** How an experiment object is named in diagnostics. */
const OBJECT_NAME = '(experiment object)';

/** Validates an experiment without running it: every problem, each with its location, or the expanded trials. */
export async function validateExperiment(source: ExperimentSource, opts: ExperimentOptions = {}): Promise<{ experiment?: Experiment; diagnostics: Diagnostic[]; registry: PluginRegistry }> {
  if (opts.registry && opts.plugins?.length) throw new CropsError('give either registry or plugins, not both: add the plugins to the registry with createRegistry({ plugins })');
  const registry = opts.registry ?? (await createRegistry({ plugins: opts.plugins }));
  const sets = opts.sets ?? [];
  const sweeps = opts.sweeps ?? [];
  const yes = Boolean(opts.yes);
  if (typeof source === 'string') return { ...loadExperimentFile(source, { registry, sets, sweeps, yes }), registry };
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new CropsError(`an experiment is a file path or an object (got ${Array.isArray(source) ? 'a list' : typeof source})`);
  }
  const anchor = resolve(opts.baseDir ?? process.cwd(), 'experiment.yaml');
  return { ...loadExperimentFile(anchor, { registry, sets, sweeps, yes, inline: { text: stringify(source), displayName: OBJECT_NAME } }), registry };
}

/** Loads and validates an experiment; throws a {@link CropsError} listing every problem when it is invalid. */
export async function loadExperiment(source: ExperimentSource, opts: ExperimentOptions = {}): Promise<Experiment> {
  return (await loadValidatedExperiment(source, opts)).experiment;
}

async function loadValidatedExperiment(source: ExperimentSource, opts: ExperimentOptions): Promise<{ experiment: Experiment; registry: PluginRegistry }> {
  const { experiment, diagnostics, registry } = await validateExperiment(source, opts);
  if (!experiment) throw nothingRun(diagnostics, 'found');
  return { experiment, registry };
}

export interface RunSweepOptions extends ExperimentOptions {
  /** run only trials whose id contains every comma-separated part */
  only?: string;
  /** re-run trials that already finished with the same config hash */
  force?: boolean;
  /** continue after a failed trial */
  keepGoing?: boolean;
  /** trials run at once in worker processes (file experiments with file plugins only); default 1 */
  parallel?: number;
  /** caches (datasets, mined positives, encoders); default `.crops-cache` in the working directory */
  cacheRoot?: string;
  /** aborting stops after recording the running trial(s) as KILLED */
  signal?: AbortSignal;
  /** print progress lines to stderr, as the CLI does (default false) */
  progress?: boolean;
  /** plugin log level (default 'warn') */
  logLevel?: LogLevel;
}

export interface SweepOutcome {
  experiment: Experiment;
  /** one per selected trial, in order: FINISHED, FAILED, KILLED or SKIPPED (finished before), with metrics */
  results: TrialResult[];
  /** the tracker's run of each trial, by trial id (skipped trials name the earlier run) */
  runIds: Record<string, string | undefined>;
  /** the sweep's parent run; when every trial was skipped, the existing sweep run they belong to */
  parentRunId: string | undefined;
  /** true when no trial ran and no new sweep run was created (a file with no sweep run of its own gets one) */
  resumedOnly: boolean;
  /** where the runs are (an mlruns folder or a server URL); undefined with tracker `none` */
  location: string | undefined;
  backend: string;
  interrupted: boolean;
}

/** Runs an experiment's sweep, as `crops run` does, and returns each trial's outcome and run ids. */
export async function runSweep(source: ExperimentSource, opts: RunSweepOptions = {}): Promise<SweepOutcome> {
  const parallel = opts.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new CropsError(`parallel must be a whole number of at least 1 (got ${parallel})`);
  if (parallel > 1 && (typeof source !== 'string' || opts.registry || opts.plugins?.some((p) => typeof p !== 'string'))) {
    throw new CropsError('parallel above 1 needs an experiment file and plugins given as file paths: each worker process loads them again');
  }
  const { experiment, registry } = await loadValidatedExperiment(source, opts);
  const sweep = await runSweepLoop(experiment, {
    registry,
    progress: new Progress(process.stderr, opts.progress ?? false),
    signal: opts.signal ?? new AbortController().signal,
    force: opts.force,
    keepGoing: opts.keepGoing,
    only: opts.only,
    cacheRoot: resolve(opts.cacheRoot ?? '.crops-cache'),
    logLevel: opts.logLevel ?? 'warn',
    parallel,
    workers: { entry: WORKER_ENTRY, load: { file: source as string, sets: opts.sets ?? [], sweeps: opts.sweeps ?? [], plugins: (opts.plugins ?? []) as string[], yes: Boolean(opts.yes) } },
  });
  return {
    experiment,
    results: sweep.results,
    runIds: Object.fromEntries(sweep.results.map((r) => [r.trial.id, r.runId])),
    parentRunId: sweep.parentRunId,
    resumedOnly: sweep.resumedOnly ?? false,
    location: sweep.location,
    backend: sweep.backend,
    interrupted: sweep.interrupted,
  };
}
