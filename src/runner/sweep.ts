import { Container } from 'inversify';
import { hostname, userInfo } from 'node:os';
import type { Experiment, Trial } from '../config/experiment.ts';
import type { LogLevel } from '../core/logger.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import { CODE_VERSION, gitCommit } from '../core/version.ts';
import { Tracker, type Backend } from '../extension-points/index.ts';
import { metricKey } from './flatten.ts';
import { PluginFactory } from './plugin-factory.ts';
import type { Progress } from './progress.ts';
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
 * Runs the trials of an experiment in order under one parent run. Finished trials with the same
 * config hash are skipped (resume) unless `force`; the first failure stops the sweep unless
 * `keepGoing`; an abort marks the running trial KILLED and leaves the rest for the next run.
 */
export async function runSweep(experiment: Experiment, opts: SweepOptions): Promise<SweepResult> {
  const trials = selectTrials(experiment.trials, opts.only);
  const container = new Container();
  const first = experiment.trials[0]!.config;
  const factory = new PluginFactory(container, { registry: opts.registry, rng: new Rng(0), cacheRoot: opts.cacheRoot, logLevel: opts.logLevel });
  const backend = await factory.create<Backend>('backend', first.backend).activate();
  const tracker = factory.provide<Tracker>(Tracker, 'tracker', first.tracker);

  const commit = gitCommit();
  const tags: Record<string, string> = {
    'crops.version': CODE_VERSION,
    'crops.backend': backend,
    'crops.experimentFile': experiment.file,
    'mlflow.source.name': experiment.file,
    'mlflow.user': safeUser(),
    'crops.host': hostname(),
    ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
  };
  const parent = await tracker.startRun({
    experimentName: experiment.name,
    runName: `${experiment.name} (${trials.length} trial${trials.length === 1 ? '' : 's'})`,
    tags: { ...tags, 'crops.sweepHash': experiment.hash, 'crops.role': 'sweep' },
    params: { 'sweep.trials': String(trials.length), 'sweep.file': experiment.file },
  });
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
  };
  const results: TrialResult[] = [];
  let stop = false;
  for (const trial of trials) {
    if (stop || opts.signal.aborted) break;
    if (!opts.force && tracker.findFinished) {
      const done = await tracker.findFinished(experiment.name, trial.hash);
      if (done) {
        opts.progress.line(`[${trial.index + 1}/${experiment.trials.length}] ${trial.id}  skipped: finished before as run ${done.run.runId} (use --force to re-run)`);
        // the store keys metrics by their MLflow form; the table wants the labels back
        const metrics = Object.fromEntries(trial.config.eval.metrics.filter((m) => metricKey(m) in done.metrics).map((m) => [m, done.metrics[metricKey(m)]!]));
        results.push({ trial, status: 'SKIPPED', metrics, runId: done.run.runId, seconds: 0 });
        continue;
      }
    }
    const result = await runTrial(trial, experiment.trials.length, ctx);
    results.push(result);
    if (result.status === 'FAILED') {
      opts.progress.line(`[${trial.index + 1}/${experiment.trials.length}] ${trial.id}  FAILED: ${result.error}`);
      if (!opts.keepGoing) stop = true;
    } else if (result.status === 'FINISHED') {
      opts.progress.line(`[${trial.index + 1}/${experiment.trials.length}] ${trial.id}  done in ${result.seconds.toFixed(1)}s`);
    }
    if (result.status === 'KILLED') break;
  }
  const interrupted = opts.signal.aborted;
  const failed = results.some((r) => r.status === 'FAILED');
  await tracker.endRun(parent, interrupted ? 'KILLED' : failed ? 'FAILED' : 'FINISHED');
  await tracker.flush();
  return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
