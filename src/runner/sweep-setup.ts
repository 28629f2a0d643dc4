/** The pieces of a sweep shared by the sweep loop, its launchers and the trial workers. */
import { Container } from 'inversify';
import { hostname } from 'node:os';
import type { Experiment, Trial } from '../config/experiment.ts';
import { CropsError } from '../core/errors.ts';
import type { LogLevel } from '../core/logger.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import { CODE_VERSION, gitCommit } from '../core/version.ts';
import { Tracker, type Backend, type RunRef } from '../extension-points/index.ts';
import { SWEEP_MANIFEST, type SweepManifest } from '../tracking/sweep-reader.ts';
import { metricKey } from '../tracking/mlflow-keys.ts';
import { PluginFactory } from './plugin-factory.ts';
import type { Launcher } from './launcher.ts';
import type { Progress, SweepStatus, TrialProgress } from './progress.ts';
import { closeOrphanedRuns } from './trial-claims.ts';
import type { SelectionEnd, TrialResult } from './trial-result.ts';
import { currentUser, SELECTION_KEY, SWEEP_ROLE, TAG } from '../tracking/run-tags.ts';

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
  /** makes the launcher that runs the trials elsewhere (a cluster); undefined runs them on this machine */
  launcher?: LauncherFactory;
  /** with a launcher: return once the trials are handed over, leaving them running */
  detach?: boolean;
}

/**
 * A worker is a module (compiled, or TypeScript run through `bin/run-ts.js`); it loads the experiment again from
 * `load` (the composition root knows how) and serves trials with `serveTrials`.
 */
export interface WorkerSpawn {
  entry: string;
  /** JSON-serialisable arguments the worker loads the experiment and plugins from */
  load: unknown;
}

/** Makes the launcher of a sweep whose trials run off this machine (a cluster scheduler). */
export type LauncherFactory = (experiment: Experiment, services: SweepServices, opts: SweepOptions) => Launcher;

export interface SweepResult {
  results: TrialResult[];
  location: string | undefined;
  backend: string;
  /** undefined only when every trial finished before and the tracker does not name their sweep run */
  parentRunId: string | undefined;
  interrupted: boolean;
  /** every trial had finished before: nothing ran and no sweep run was created */
  resumedOnly?: boolean;
  /** set when the sweep was handed to a launcher and left running (`--detach`) */
  detached?: { id: string; pending: number };
}

export interface SweepServices {
  container: Container;
  tracker: Tracker;
  /** activates the sweep's backend in this process and returns its name */
  activateBackend(): Promise<string>;
}

/** The root container of a sweep (or of one worker) with its tracker; the backend is activated on demand. */
export function createSweepServices(experiment: Experiment, opts: { registry: PluginRegistry; cacheRoot: string; logLevel: LogLevel }): SweepServices {
  const container = new Container();
  const first = experiment.trials[0]!.config;
  const factory = new PluginFactory(container, { registry: opts.registry, rng: new Rng(0), cacheRoot: opts.cacheRoot, logLevel: opts.logLevel });
  const tracker = factory.provide<Tracker>(Tracker, 'tracker', first.tracker);
  return { container, tracker, activateBackend: () => factory.create<Backend>('backend', first.backend).activate() };
}

/** Tags every run of the sweep carries. */
export function sweepTags(experiment: Experiment, backend: string): Record<string, string> {
  const commit = gitCommit();
  return {
    [TAG.version]: CODE_VERSION,
    [TAG.backend]: backend,
    [TAG.experimentFile]: experiment.file,
    [TAG.sourceName]: experiment.file,
    [TAG.user]: currentUser(),
    [TAG.host]: hostname(),
    ...(commit ? { [TAG.gitCommit]: commit } : {}),
  };
}

export async function startSweepRun(tracker: Tracker, experiment: Experiment, trials: number, tags: Record<string, string>, note?: (line: string) => void): Promise<RunRef> {
  // runs an earlier process left RUNNING when it died are closed first, with the reason
  for (const line of await closeOrphanedRuns(tracker, experiment.name).catch(() => [])) note?.(line);
  return tracker.startRun({
    experimentName: experiment.name,
    runName: `${experiment.name} (${trials} trial${trials === 1 ? '' : 's'})`,
    // only a sweep over every trial of the file stands for the file (`crops report` looks it up by this
    // hash); an `--only` sweep is still found as the latest sweep started from the file
    tags: { ...tags, ...(trials === experiment.trials.length ? { [TAG.sweepHash]: experiment.hash } : {}), [TAG.role]: SWEEP_ROLE },
    params: { 'sweep.trials': String(trials), 'sweep.file': experiment.file },
  });
}

/** The SKIPPED result of a trial that finished before with the same config hash, if there is one. */
export async function skipIfFinished(tracker: Tracker, experiment: Experiment, trial: Trial, progress?: TrialProgress): Promise<TrialResult | undefined> {
  // an unreachable tracker cannot say; the trial then finds out itself when it starts its run
  const done = await Promise.resolve(tracker.findFinished?.(experiment.name, trial.hash)).catch((e: unknown) => {
    if (e instanceof CropsError) throw e;
    return undefined;
  });
  if (!done) return undefined;
  progress?.line(`[${trial.index + 1}/${experiment.trials.length}] ${trial.id}  skipped: finished before as run ${done.run.runId} (use --force to re-run)`);
  // the store keys metrics by their MLflow form; the table wants the labels back
  const metrics = Object.fromEntries(trial.config.eval.metrics.filter((m) => metricKey(m) in done.metrics).map((m) => [m, done.metrics[metricKey(m)]!]));
  return { trial, status: 'SKIPPED', metrics, runId: done.run.runId, seconds: 0, sweepRunId: done.tags?.[TAG.parentRunId], backend: done.tags?.[TAG.backend], selection: selectionRecorded(done.metrics) };
}

/** How dev selection ended a finished run, from the metrics the trial runner logged (none: it trained without). */
function selectionRecorded(metrics: Record<string, number>): SelectionEnd | undefined {
  const stepsRun = metrics[SELECTION_KEY.stepsRun];
  const stoppedEarly = metrics[SELECTION_KEY.stoppedEarly];
  if (stepsRun === undefined || stoppedEarly === undefined) return undefined;
  return { stepsRun, bestStep: metrics[SELECTION_KEY.bestStep] ?? stepsRun, stoppedEarly: stoppedEarly === 1 };
}

/**
 * When every selected trial finished before, the sweep is only a report of those runs: it returns them
 * as SKIPPED without starting a sweep run (a re-run adds nothing to the tracker) and names the latest
 * sweep run they belong to. The one exception is a whole file that has no finished sweep run of its
 * own because other files trained all its trials: it gets one, holding only the manifest, so that
 * `crops report` can read it. Undefined as soon as one trial still has to run.
 */
export async function finishedBefore(tracker: Tracker, experiment: Experiment, trials: Trial[], progress: TrialProgress): Promise<SweepResult | undefined> {
  if (trials.length === 0 || !tracker.findFinished) return undefined;
  const results: TrialResult[] = [];
  for (const trial of trials) {
    const skipped = await skipIfFinished(tracker, experiment, trial);
    if (!skipped) return undefined;
    results.push(skipped);
  }
  for (const r of results) await skipIfFinished(tracker, experiment, r.trial, progress);
  // trials resumed over several sweeps belong to several sweep runs: name the one most of them belong to
  const counts = new Map<string, number>();
  for (const r of results) if (r.sweepRunId) counts.set(r.sweepRunId, (counts.get(r.sweepRunId) ?? 0) + 1);
  const sweepRun = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const backend = results.find((r) => r.backend)?.backend ?? 'unknown';
  const all = `all ${trials.length} trial${trials.length === 1 ? '' : 's'} finished before`;
  if (trials.length === experiment.trials.length && !(await hasOwnSweep(tracker, experiment))) {
    // every run came from other files sharing the experiment (a sensitivity map over the tables' trials):
    // without a sweep run of its own this file has nothing `crops report` could read
    const parent = await startSweepRun(tracker, experiment, trials.length, sweepTags(experiment, backend), (line) => progress.line(line));
    await finishSweep(tracker, parent, experiment, results, false);
    progress.line(`${all}, none under a sweep of this file; recorded sweep run ${parent.runId} listing them for crops report`);
    return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted: false };
  }
  progress.line(`${all}; no new sweep run${sweepRun ? ` (existing sweep run ${sweepRun})` : ''} (use --force to re-run)`);
  return { results, location: tracker.location(), backend, parentRunId: sweepRun, interrupted: false, resumedOnly: true };
}

/** Whether the tracker holds a finished sweep run of exactly this file's trials; true when it cannot tell. */
async function hasOwnSweep(tracker: Tracker, experiment: Experiment): Promise<boolean> {
  if (!tracker.findSweep) return true;
  return Promise.resolve(tracker.findSweep(experiment.name, experiment.hash)).then(
    (run) => run !== undefined,
    (e: unknown) => {
      if (e instanceof CropsError) throw e;
      return true;
    },
  );
}

/** Prints the outcome line of a trial that ran. */
export function reportTrialResult(progress: TrialProgress, experiment: Experiment, result: TrialResult): void {
  const head = `[${result.trial.index + 1}/${experiment.trials.length}] ${result.trial.id}`;
  if (result.status === 'FAILED') progress.line(`${head}  FAILED: ${result.error}`);
  else if (result.status === 'FINISHED') progress.line(`${head}  done in ${result.seconds.toFixed(1)}s`);
}

/** Counts results for the sweep line. */
export function sweepStatus(results: TrialResult[], total: number, workers: number): SweepStatus {
  const ended = results.filter((r) => r.status !== 'KILLED');
  return {
    total,
    done: ended.length,
    failed: ended.filter((r) => r.status === 'FAILED').length,
    skipped: ended.filter((r) => r.status === 'SKIPPED').length,
    finishedSeconds: ended.filter((r) => r.status === 'FINISHED').map((r) => r.seconds),
    workers,
  };
}

/** Writes the sweep manifest and ends the parent run with the sweep's outcome. */
export async function finishSweep(tracker: Tracker, parent: RunRef, experiment: Experiment, results: TrialResult[], interrupted: boolean): Promise<void> {
  const failed = results.some((r) => r.status === 'FAILED');
  // skipped trials are not children of this run; the manifest lets `crops report` find them
  const manifest: SweepManifest = {
    experiment: experiment.name,
    file: experiment.file,
    report: experiment.report,
    trials: results.map((r) => ({ id: r.trial.id, seed: r.trial.config.seed, status: r.status, runId: r.runId })),
  };
  // a manifest the disk refused must not leave the sweep run RUNNING: it ends FAILED, then the error is raised
  let manifestError: unknown;
  await tracker.logArtifact(parent, SWEEP_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`).catch((e: unknown) => void (manifestError = e));
  await tracker.endRun(parent, interrupted ? 'KILLED' : failed || manifestError !== undefined ? 'FAILED' : 'FINISHED');
  await tracker.flush();
  if (manifestError !== undefined) throw manifestError;
}
