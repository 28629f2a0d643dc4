import type { Experiment, Trial } from '../config/experiment.ts';
import type { Tracker } from '../extension-points/tracker.ts';
import { InProcessLauncher } from './in-process-launcher.ts';
import type { Launcher } from './launcher.ts';
import { createSweepServices, finishedBefore, finishSweep, reportTrialResult, skipIfFinished, startSweepRun, sweepStatus, sweepTags, type SweepOptions, type SweepResult } from './sweep-setup.ts';
import type { TrialResult } from './trial-result.ts';
import { WorkerPoolLauncher } from './worker-pool-launcher.ts';

export type { SweepOptions, SweepResult, WorkerSpawn } from './sweep-setup.ts';

export function selectTrials(trials: Trial[], only?: string): Trial[] {
  if (!only) return trials;
  const parts = only.split(',').map((p) => p.trim()).filter(Boolean);
  return trials.filter((t) => parts.every((p) => t.id.includes(p)));
}

/**
 * Runs the trials of an experiment under one parent run. Finished trials with the same config
 * hash are skipped (resume) unless `force`; the first failure stops the sweep unless `keepGoing`;
 * an abort marks the running trial(s) KILLED and leaves the rest for the next run. With
 * `parallel` above 1 the trials run in local worker processes, with `launcher` where it puts them
 * (a cluster), else here one by one. When every selected trial finished before, no sweep run is
 * started (see `finishedBefore`).
 */
export async function runSweep(experiment: Experiment, opts: SweepOptions): Promise<SweepResult> {
  const services = createSweepServices(experiment, opts);
  const trials = selectTrials(experiment.trials, opts.only);
  // a re-run with nothing left to do reports the existing runs and starts no backend and no sweep run
  const resumed = opts.force ? undefined : await finishedBefore(services.tracker, experiment, trials, opts.progress);
  if (resumed) {
    await services.tracker.flush();
    return resumed;
  }
  const launcher = opts.launcher
    ? opts.launcher(experiment, services, opts)
    : (opts.parallel ?? 1) > 1
      ? new WorkerPoolLauncher(experiment, services, opts)
      : new InProcessLauncher(experiment, services, opts);
  return driveSweep(experiment, trials, services.tracker, launcher, opts);
}

/**
 * Takes out of `pending` every trial whose config hash an earlier pending trial has (a sensitivity
 * map whose rows ignore the swept plugin), keyed by that hash: they take the earlier trial's run once
 * it finishes instead of training the same thing again.
 */
function holdBackTwins(pending: Trial[]): Map<string, Trial[]> {
  const first = new Set<string>();
  const twins = new Map<string, Trial[]>();
  const leaders = pending.filter((t) => {
    if (!first.has(t.hash)) return first.add(t.hash);
    twins.set(t.hash, [...(twins.get(t.hash) ?? []), t]);
    return false;
  });
  pending.splice(0, pending.length, ...leaders);
  return twins;
}

/**
 * The one sweep loop, whatever the launcher: skip finished trials, start the parent run, keep
 * every slot of the launcher busy until the queue is empty, a failure stops the sweep or an
 * interrupt comes, then record the outcome on the parent run. A launcher with `submit` (a cluster
 * scheduler) has every pending trial handed over before the first `run`, so there a failure stops
 * nothing: the keep-going a cluster sweep expects. Trials whose config an earlier pending trial has
 * are never run or submitted: they take its run once it finished.
 */
export async function driveSweep(experiment: Experiment, trials: Trial[], tracker: Tracker, launcher: Launcher, opts: SweepOptions): Promise<SweepResult> {
  const { progress, signal } = opts;
  const results: TrialResult[] = [];
  const pending: Trial[] = [];
  for (const trial of trials) {
    const skipped = opts.force ? undefined : await skipIfFinished(tracker, experiment, trial, progress);
    if (skipped) results.push(skipped);
    else pending.push(trial);
  }
  // before the launcher starts, so that it sizes itself to the trials that train
  const twins = opts.force ? new Map<string, Trial[]>() : holdBackTwins(pending);
  const cancel = () => launcher.cancel();
  signal.addEventListener('abort', cancel);
  try {
    const { backend, slots, parallel, tags: launcherTags } = await launcher.start(pending.length, signal);
    const tags = { ...sweepTags(experiment, backend), ...launcherTags };
    const parent = await startSweepRun(tracker, experiment, trials.length, tags, (line) => progress.line(line));
    if (launcher.submit && pending.length > 0 && !signal.aborted) {
      const leaderOf = new Map(pending.map((t) => [t.hash, t]));
      const held = [...twins].flatMap(([hash, ts]) => ts.map((twin) => ({ twin, sameAs: leaderOf.get(hash)! })));
      const submitted = await launcher.submit([...pending], { parent, tags }, [...results], held);
      await tracker.setTags(parent, submitted.sweepTags);
      if (submitted.detached) {
        // the launcher's own job ends the sweep run once the trials are done
        await tracker.flush();
        return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted: false, detached: { id: submitted.detached.id, pending: pending.length } };
      }
    }
    const shown = Math.max(parallel ?? slots, 1);
    progress.sweep(sweepStatus(results, trials.length, shown), false);
    let stop = false;
    const lane = async (slot: number) => {
      while (!stop && !signal.aborted && launcher.accepts(slot)) {
        const trial = pending.shift();
        if (!trial) break;
        const result = await launcher.run(trial, slot, { parent, tags });
        progress.release(slot);
        if (!result) break;
        results.push(result);
        reportTrialResult(progress, experiment, result);
        const held = twins.get(trial.hash) ?? [];
        twins.delete(trial.hash);
        if (result.status === 'FINISHED') {
          for (const twin of held) {
            progress.line(`[${twin.index + 1}/${experiment.trials.length}] ${twin.id}  skipped: the same config as ${trial.id} (run ${result.runId})`);
            results.push({ ...result, trial: twin, status: 'SKIPPED', seconds: 0, sweepRunId: parent.runId });
          }
        } else if (!launcher.submit) {
          // a twin of a failed or interrupted trial is still to run: it may fail the same way, but says so itself
          pending.unshift(...held);
        } else {
          // a cluster array cannot take more tasks: the twin stays unfinished, and the next `crops run` runs its config
          for (const twin of held) progress.line(`[${twin.index + 1}/${experiment.trials.length}] ${twin.id}  not run: the same config as ${trial.id}, which did not finish`);
        }
        // an unreachable tracker is not the trial's fault: the next trials still run (and spool)
        if (result.status === 'FAILED' && !opts.keepGoing && !result.trackerDown) stop = true;
        if (result.status !== 'KILLED') progress.sweep(sweepStatus(results, trials.length, shown));
      }
    };
    await Promise.all(Array.from({ length: slots }, (_, slot) => lane(slot)));
    // results arrive in finishing order; the table lists trials in sweep order
    results.sort((a, b) => a.trial.index - b.trial.index);
    const interrupted = signal.aborted;
    await finishSweep(tracker, parent, experiment, results, interrupted);
    return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted };
  } finally {
    signal.removeEventListener('abort', cancel);
    await launcher.close();
  }
}
