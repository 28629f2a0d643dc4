/**
 * The node side of the `slurm` launcher. An array task runs one trial and leaves its result file;
 * a signal from the scheduler (scancel, the time limit's SIGTERM, a `--signal` warning) stops the
 * trial, which is then recorded KILLED with the signal as a tag instead of staying RUNNING. The
 * `finish` job of a detached sweep waits for the array, ends runs left RUNNING and ends the sweep run.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Experiment } from '../config/experiment.ts';
import type { PluginRegistry } from '../core/registry.ts';
import type { RunStatus } from '../extension-points/index.ts';
import { SWEEP_MANIFEST, type SweepManifest } from '../tracking/sweep-reader.ts';
import { TAG } from '../tracking/run-tags.ts';
import { MinedCache } from './mining.ts';
import { Progress } from './progress.ts';
import { createSweepServices } from './sweep-setup.ts';
import { runTrial } from './trial-runner.ts';
import { jobIdFile, readJobSpec, resultFile, writeJson, type TaskResult } from './slurm-job.ts';
import { watchArray } from './slurm-watch.ts';
import { openSweepStore } from './sweep-store.ts';
import { toReported } from './trial-result.ts';

export type ExperimentLoader = (load: unknown) => Promise<{ experiment: Experiment; registry: PluginRegistry }>;

/** Signals Slurm sends before it kills a task: SIGTERM on scancel and at the time limit, USR1/USR2 with `--signal`. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2'] as const;

/** Runs the trial of this array task (SLURM_ARRAY_TASK_ID); returns the process exit code. */
export async function runSlurmTask(file: string, loadExperiment: ExperimentLoader): Promise<number> {
  const controller = new AbortController();
  let stopSignal: string | undefined;
  let started = false;
  for (const sig of STOP_SIGNALS) {
    process.on(sig, () => {
      stopSignal ??= sig;
      // nothing recorded yet: leave at once, the trial stays pending for the next run
      if (!started) process.exit(143);
      controller.abort();
    });
  }
  const spec = await readJobSpec(file);
  const dir = dirname(file);
  const task = Number(process.env.SLURM_ARRAY_TASK_ID);
  const index = spec.trials[task];
  if (index === undefined) throw new Error(`array task ${process.env.SLURM_ARRAY_TASK_ID} has no trial in ${file}`);
  const { experiment, registry } = await loadExperiment(spec.load);
  if (experiment.hash !== spec.experimentHash) throw new Error(`the experiment changed on disk since the sweep was submitted (${experiment.file}); run it again`);
  const services = createSweepServices(experiment, { registry, cacheRoot: spec.cacheRoot, logLevel: spec.logLevel });
  const backend = await services.activateBackend();
  const slurmTags = {
    [TAG.slurmJobId]: process.env.SLURM_ARRAY_JOB_ID ?? '',
    [TAG.slurmTaskId]: String(task),
    [TAG.slurmNode]: process.env.SLURMD_NODENAME ?? '',
  };
  started = true;
  const result = await runTrial(experiment.trials[index]!, experiment.trials.length, {
    experiment,
    registry,
    tracker: services.tracker,
    parent: spec.parent,
    container: services.container,
    progress: new Progress(process.stderr, true),
    cacheRoot: spec.cacheRoot,
    logLevel: spec.logLevel,
    signal: controller.signal,
    tags: { ...spec.tags, [TAG.backend]: backend, ...slurmTags },
    datasets: new Map(),
    mined: new MinedCache(join(spec.cacheRoot, 'mined')),
  });
  if (result.status === 'KILLED' && stopSignal && result.runId) await services.tracker.setTags({ experimentId: spec.parent.experimentId, runId: result.runId }, { [TAG.slurmSignal]: stopSignal });
  await services.tracker.flush();
  const out: TaskResult = toReported(index, result, 'an array task');
  await writeJson(resultFile(dir, task), out);
  process.stderr.write(`trial ${result.trial.id}: ${result.status}${result.error ? `: ${result.error}` : ''}\n`);
  return result.status === 'FINISHED' ? 0 : result.status === 'KILLED' ? 143 : 1;
}

/** Ends a detached sweep once its array has left the queue: runs left RUNNING, the manifest, the sweep run. */
export async function finishDetachedSweep(file: string): Promise<number> {
  const spec = await readJobSpec(file);
  const dir = dirname(file);
  const jobId = (await readFile(jobIdFile(dir), 'utf8')).trim();
  const store = openSweepStore(spec.tracking);
  const ended = new Map<number, TaskResult | undefined>();
  await watchArray(spec, dir, jobId, store, { pollMs: 2000, cancelled: () => false, onEnded: (task, r) => ended.set(task, r) });
  const trials: SweepManifest['trials'] = [...spec.skipped];
  spec.trials.forEach((_, task) => {
    const r = ended.get(task);
    trials.push({ ...spec.trialInfo[task]!, status: r?.status ?? 'KILLED', runId: r?.runId });
  });
  // a twin of an unfinished task stays out: the next `crops run` runs its config
  for (const { task, ...twin } of spec.twins ?? []) {
    const r = ended.get(task);
    if (r?.status === 'FINISHED') trials.push({ ...twin, status: 'SKIPPED', runId: r.runId });
  }
  const manifest: SweepManifest = { experiment: spec.experimentName, file: spec.experimentFile, report: spec.report, trials };
  await store.reader.writeArtifact(spec.parent, SWEEP_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  const statuses = trials.map((t) => t.status);
  const status: Exclude<RunStatus, 'RUNNING'> = statuses.includes('FAILED') ? 'FAILED' : statuses.includes('KILLED') ? 'KILLED' : 'FINISHED';
  await store.close(spec.parent, status, {});
  process.stderr.write(`sweep run ${spec.parent.runId}: ${status} (${statuses.filter((s) => s === 'FINISHED' || s === 'SKIPPED').length}/${statuses.length} trials finished)\n`);
  return 0;
}
