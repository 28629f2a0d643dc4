/**
 * A sweep whose trials run in worker processes, each with its own backend and tracker, all under
 * the same parent run. This process keeps the queue, the display and the results; finished
 * trials are skipped before any worker starts, so a resumed sweep only starts the workers it needs.
 */
import type { Experiment, Trial } from '../config/experiment.ts';
import type { RunRef } from '../extension-points/index.ts';
import type { SweepOptions, SweepResult } from './sweep.ts';
import { finishSweep, reportTrialResult, skipIfFinished, startSweepRun, sweepStatus, sweepTags, type SweepServices } from './sweep-setup.ts';
import { closeOrphanedRuns } from './trial-claims.ts';
import type { TrialResult } from './trial-runner.ts';
import { startWorkers, stopWorkers, type TrialWorker } from './worker-pool.ts';

export async function runParallelSweep(experiment: Experiment, trials: Trial[], services: SweepServices, opts: SweepOptions): Promise<SweepResult> {
  if (!opts.workers) throw new Error('a parallel sweep needs to know how to start its workers');
  const { tracker } = services;
  const { progress, signal } = opts;
  const results: TrialResult[] = [];
  const pending: Trial[] = [];
  for (const trial of trials) {
    const skipped = opts.force ? undefined : await skipIfFinished(tracker, experiment, trial, progress);
    if (skipped) results.push(skipped);
    else pending.push(trial);
  }
  const count = Math.min(opts.parallel ?? 1, pending.length);
  const init = { type: 'init' as const, load: opts.workers.load, experimentHash: experiment.hash, cacheRoot: opts.cacheRoot, logLevel: opts.logLevel };
  // with nothing left to run no worker starts; the backend is still named on the sweep run
  const pool = count > 0 && !signal.aborted ? await startWorkers(count, opts.workers.entry, init, progress) : undefined;
  const forwardAbort = () => pool?.workers.forEach((w) => w.post({ type: 'abort' }));
  signal.addEventListener('abort', forwardAbort);
  try {
    const backend = pool?.backend ?? (await services.activateBackend());
    const tags = sweepTags(experiment, backend);
    const parent = await startSweepRun(tracker, experiment, trials.length, tags, (line) => opts.progress.line(line));
    const workers = pool?.workers.length ?? 1;
    progress.sweep(sweepStatus(results, trials.length, workers), false);
    let stop = false;
    const drive = async (worker: TrialWorker) => {
      while (!stop && !signal.aborted && worker.alive) {
        const trial = pending.shift();
        if (!trial) break;
        const result = await runOn(worker, trial, parent, tags);
        progress.release(worker.slot);
        if (!result) break;
        results.push(result);
        // a worker that died could not end its run: close it now, with the reason
        if (!worker.alive) for (const line of await closeOrphanedRuns(tracker, experiment.name).catch(() => [])) progress.line(line);
        reportTrialResult(progress, experiment, result);
        if (result.status === 'FAILED' && !opts.keepGoing && !result.trackerDown) stop = true;
        if (result.status !== 'KILLED') progress.sweep(sweepStatus(results, trials.length, workers));
      }
    };
    await Promise.all((pool?.workers ?? []).map(drive));
    // results arrive in finishing order; the table lists trials in sweep order
    results.sort((a, b) => a.trial.index - b.trial.index);
    const interrupted = signal.aborted;
    await finishSweep(tracker, parent, experiment, results, interrupted);
    return { results, location: tracker.location(), backend, parentRunId: parent.runId, interrupted };
  } finally {
    signal.removeEventListener('abort', forwardAbort);
    if (pool) await stopWorkers(pool.workers);
  }
}

/** Runs one trial on a worker; undefined when an interrupt came first and the trial never started. */
async function runOn(worker: TrialWorker, trial: Trial, parent: RunRef, tags: Record<string, string>): Promise<TrialResult | undefined> {
  const started = Date.now();
  try {
    const reply = await worker.request({ type: 'trial', index: trial.index, parent, tags });
    if (reply.type === 'unstarted') return undefined;
    if (reply.type !== 'result' || reply.index !== trial.index) throw new Error(`worker ${worker.slot + 1} answered out of turn (${reply.type})`);
    return { trial, status: reply.status, metrics: reply.metrics, runId: reply.runId, error: reply.error, seconds: reply.seconds };
  } catch (e) {
    // the process died mid-trial (out of memory, a native crash); its run could not be ended
    return { trial, status: 'FAILED', metrics: {}, error: e instanceof Error ? e.message : String(e), seconds: (Date.now() - started) / 1000 };
  }
}
