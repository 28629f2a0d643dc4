import type { Experiment, Trial } from '../config/experiment.ts';
import type { LogLevel } from '../core/logger.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { runParallelSweep } from './parallel-sweep.ts';
import type { Progress } from './progress.ts';
import { createSweepServices, finishSweep, reportTrialResult, skipIfFinished, startSweepRun, sweepStatus, sweepTags } from './sweep-setup.ts';
import { join } from 'node:path';
import { MinedCache } from './mining.ts';
import { runTrial, type SweepContext, type TrialResult } from './trial-runner.ts';

export interface SweepOptions {
  registry: PluginRegistry;
  progress: Progress;
  signal: AbortSignal;
  /** re-run trials that already finished with the same config hash */
  force?: boolean;
  /** continue after a failed trial */
  keepGoing?: boolean;
  /** run only trials whose id contains every comma-separated part */
  only?: string;
  cacheRoot: string;
  logLevel: LogLevel;
  /** trials run at once, each in its own worker process; 1 (the default) runs them here, one by one */
  parallel?: number;
  /** how a worker process is started; required when `parallel` is above 1 */
  workers?: WorkerSpawn;
}

/**
 * A worker is a TypeScript module run through `bin/run-ts.js`; it loads the experiment again from
 * `load` (the composition root knows how) and serves trials with `serveTrials`.
 */
export interface WorkerSpawn {
  entry: string;
  /** JSON-serialisable arguments the worker loads the experiment and plugins from */
  load: unknown;
}

export interface SweepResult {
  results: TrialResult[];
  location: string | undefined;
  backend: string;
  parentRunId: string;
  interrupted: boolean;
}

export function selectTrials(trials: Trial[], only?: string): Trial[] {
  if (!only) return trials;
  const parts = only.split(',').map((p) => p.trim()).filter(Boolean);
  return trials.filter((t) => parts.every((p) => t.id.includes(p)));
}

/**
 * Runs the trials of an experiment under one parent run. Finished trials with the same config
 * hash are skipped (resume) unless `force`; the first failure stops the sweep unless `keepGoing`;
 * an abort marks the running trial(s) KILLED and leaves the rest for the next run. With
 * `parallel` above 1 the trials run in worker processes (see parallel-sweep.ts).
 */
export async function runSweep(experiment: Experiment, opts: SweepOptions): Promise<SweepResult> {
  const trials = selectTrials(experiment.trials, opts.only);
  const services = createSweepServices(experiment, opts);
  if ((opts.parallel ?? 1) > 1) return runParallelSweep(experiment, trials, services, opts);

  const backend = await services.activateBackend();
  const { tracker, container } = services;
  const tags = sweepTags(experiment, backend);
  const parent = await startSweepRun(tracker, experiment, trials.length, tags, (line) => opts.progress.line(line));
  const ctx: SweepContext = {
    experiment,
    registry: opts.registry,
    tracker,
    parent,
    container,
    progress: opts.progress,
    cacheRoot: opts.cacheRoot,
    logLevel: opts.logLevel,
    signal: opts.signal,
    tags,
    datasets: new Map(),
    mined: new MinedCache(join(opts.cacheRoot, 'mined')),
  };
  const results: TrialResult[] = [];
  opts.progress.sweep(sweepStatus(results, trials.length, 1), false);
  let stop = false;
  for (const trial of trials) {
    if (stop || opts.signal.aborted) break;
    const skipped = opts.force ? undefined : await skipIfFinished(tracker, experiment, trial, opts.progress);
    if (skipped) {
      results.push(skipped);
      opts.progress.sweep(sweepStatus(results, trials.length, 1), false);
      continue;
    }
    const result = await runTrial(trial, experiment.trials.length, ctx);
    results.push(result);
    opts.progress.release(0);
    reportTrialResult(opts.progress, experiment, result);
    if (result.status === 'FAILED' && !opts.keepGoing && !result.trackerDown) stop = true;
    if (result.status === 'KILLED') break;
    opts.progress.sweep(sweepStatus(results, trials.length, 1));
  }
  const interrupted = opts.signal.aborted;
  await finishSweep(tracker, parent, experiment, results, interrupted);
  return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted };
}
