import type { Trial } from '../config/experiment.ts';
import type { RunRef } from '../extension-points/tracker.ts';
import type { TrialResult } from './trial-runner.ts';

/** What every trial of a sweep is launched under: the sweep's parent run and the tags it shares. */
export interface SweepRun {
  parent: RunRef;
  tags: Record<string, string>;
}

/**
 * Where the trials of a sweep run. The sweep loop (sweep.ts) owns the queue, the skipping of
 * finished trials, the progress display and the stop rules; a launcher only runs what it is
 * handed, `slots` trials at a time: in this process one by one, in local worker processes, or on a
 * cluster (submit a job, observe its completion, cancel it).
 */
export interface Launcher {
  /**
   * Gets ready to run `pending` trials (starts workers, if any) and activates or learns the backend
   * they run on. `slots` is how many trials may run at once (0 when nothing can run).
   */
  start(pending: number, signal: AbortSignal): Promise<{ backend: string; slots: number }>;
  /** Whether `slot` can take another trial (a worker process that died cannot). */
  accepts(slot: number): boolean;
  /**
   * Runs one trial in `slot` and resolves with its result once it completed; undefined when an
   * interrupt came first and the trial never started.
   */
  run(trial: Trial, slot: number, sweep: SweepRun): Promise<TrialResult | undefined>;
  /** Asks the running trials to stop (an interrupt); they end as KILLED. */
  cancel(): void;
  /** Releases what `start` acquired; called once, also after a failure. */
  close(): Promise<void>;
}
