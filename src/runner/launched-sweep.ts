/**
 * A sweep whose trials a {@link Launcher} runs elsewhere (a cluster scheduler). Same resume rule,
 * progress lines and results as the other sweep loops; a failing trial never stops the others,
 * since they were all handed over at once.
 */
import type { Experiment, Trial } from '../config/experiment.ts';
import type { Launcher } from './launcher.ts';
import { finishSweep, reportTrialResult, skipIfFinished, startSweepRun, sweepStatus, sweepTags, type SweepOptions, type SweepResult, type SweepServices } from './sweep-setup.ts';
import type { TrialResult } from './trial-runner.ts';

export async function runLaunchedSweep(experiment: Experiment, trials: Trial[], services: SweepServices, opts: SweepOptions, launcher: Launcher): Promise<SweepResult> {
  launcher.check(experiment);
  const { tracker } = services;
  const { progress, signal } = opts;
  const results: TrialResult[] = [];
  const pending: Trial[] = [];
  for (const trial of trials) {
    const skipped = opts.force ? undefined : await skipIfFinished(tracker, experiment, trial, progress);
    if (skipped) results.push(skipped);
    else pending.push(trial);
  }
  // the backend this machine would pick; each trial records the one its node activated
  const backend = await services.activateBackend();
  const tags = { ...sweepTags(experiment, backend), 'crops.launcher': launcher.name };
  const parent = await startSweepRun(tracker, experiment, trials.length, tags);
  const parallel = Math.max(1, opts.parallel ?? 1);
  const done = (interrupted: boolean) => finishSweep(tracker, parent, experiment, results.sort((a, b) => a.trial.index - b.trial.index), interrupted);
  if (pending.length === 0 || signal.aborted) {
    await done(signal.aborted);
    return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted: signal.aborted };
  }
  const detach = Boolean(opts.detach);
  const launched = await launcher.launch(pending, { experiment, parent, tags, parallel, progress, skipped: [...results], detach });
  await tracker.setTags(parent, launched.sweepTags);
  if (detach) {
    await tracker.flush();
    return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted: false, detached: { id: launched.id, pending: pending.length } };
  }
  const cancel = () => void launched.cancel();
  signal.addEventListener('abort', cancel);
  try {
    progress.sweep(sweepStatus(results, trials.length, parallel), false);
    await launched.completion((result) => {
      results.push(result);
      reportTrialResult(progress, experiment, result);
      if (result.status === 'KILLED') progress.line(`[${result.trial.index + 1}/${experiment.trials.length}] ${result.trial.id}  KILLED: ${result.error ?? 'cancelled'}`);
      progress.sweep(sweepStatus(results, trials.length, parallel));
    });
  } finally {
    signal.removeEventListener('abort', cancel);
  }
  await done(signal.aborted);
  return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted: signal.aborted };
}
