import type { Trial } from '../config/experiment.ts';
import type { RunRef } from '../extension-points/tracker.ts';
import type { TrialResult } from './trial-result.ts';

/** What every trial of a sweep is launched under: the sweep's parent run and the tags it shares. */
export interface SweepRun {
  parent: RunRef;
  tags: Record<string, string>;
}

/** What `start` tells the sweep loop. */
export interface LauncherStart {
  /** the backend the trials run on (for a cluster: the one this machine would pick) */
  backend: string;
  /** how many trials may be in `run` at once (0 when nothing can run) */
  slots: number;
  /** trials that actually run at once, when a scheduler throttles the slots (shown on the sweep line) */
  parallel?: number;
  /** tags the sweep run and every trial run carry besides the usual ones (e.g. the launcher's name) */
  tags?: Record<string, string>;
}

/** A trial that is not run because `sameAs`, run in the same sweep, has its config hash. */
export interface HeldTwin {
  twin: Trial;
  sameAs: Trial;
}

/** What `submit` tells the sweep loop. */
export interface Submission {
  /** tags to put on the sweep run so that `crops status` finds the trials again */
  sweepTags: Record<string, string>;
  /**
   * Set when the trials were left running (`--detach`): the loop returns at once and the launcher's
   * own job ends the sweep run when they are done.
   */
  detached?: { id: string };
}

/**
 * Where the trials of a sweep run. The sweep loop (sweep.ts) owns the queue, the skipping of
 * finished trials, the progress display and the stop rules; a launcher only runs what it is
 * handed, `slots` trials at a time: in this process one by one, in local worker processes, or on a
 * cluster (submit a job array, observe each task's completion, cancel the array).
 */
export interface Launcher {
  /**
   * Gets ready to run `pending` trials (starts workers, if any) and activates or learns the backend
   * they run on. Refuses here, before the sweep run is recorded, an experiment it cannot run.
   */
  start(pending: number, signal: AbortSignal): Promise<LauncherStart>;
  /**
   * For a launcher that hands every pending trial over at once (a scheduler's job array): called
   * once, after the sweep run started and before any `run`, with the trials in the order `run`
   * will get them, the results of the trials reused from earlier sweeps, and the trials held back
   * because a pending trial has their config (they take its run once it finished).
   */
  submit?(pending: Trial[], sweep: SweepRun, reused: TrialResult[], twins: HeldTwin[]): Promise<Submission>;
  /** Whether `slot` can take another trial (a worker process that died cannot). */
  accepts(slot: number): boolean;
  /**
   * Runs one trial in `slot` (or, after `submit`, waits for it) and resolves with its result once
   * it ended; undefined when an interrupt came first and the trial never started.
   */
  run(trial: Trial, slot: number, sweep: SweepRun): Promise<TrialResult | undefined>;
  /** Asks the running trials to stop (an interrupt); they end as KILLED. */
  cancel(): void;
  /** Releases what `start` acquired; called once, also after a failure. */
  close(): Promise<void>;
}
