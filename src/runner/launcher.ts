/**
 * Where a sweep's pending trials run. The sweep loop decides what is pending (resume by config
 * hash), records the sweep run, shows progress and prints the table; a launcher only starts the
 * trials somewhere, reports each one as it ends, and can cancel them. Each launched trial records
 * its own run under the sweep run, as an in-process trial does.
 */
import type { Experiment, Trial } from '../config/experiment.ts';
import type { RunRef } from '../extension-points/index.ts';
import type { Progress } from './progress.ts';
import type { TrialResult } from './trial-runner.ts';

export interface LaunchContext {
  experiment: Experiment;
  /** the sweep run the trials' runs go under */
  parent: RunRef;
  /** tags every trial run carries */
  tags: Record<string, string>;
  /** trials running at once, at most */
  parallel: number;
  progress: Progress;
  /** trials reused from earlier sweeps, for a launcher that ends the sweep run itself (detached) */
  skipped: TrialResult[];
  /** leave the trials running and return at once; the launcher ends the sweep run when they are done */
  detach: boolean;
}

/** Trials handed to a launcher. */
export interface LaunchedTrials {
  /** the scheduler's name for them (a job id), for messages */
  readonly id: string;
  /** tags to put on the sweep run so that `crops status` finds the trials again */
  readonly sweepTags: Record<string, string>;
  /**
   * Waits until every launched trial has ended, calling `onResult` as each one does. Trials that
   * never started because of `cancel` have no result.
   */
  completion(onResult: (result: TrialResult) => void): Promise<TrialResult[]>;
  /** Stops every trial; started ones end KILLED, the rest stay pending for the next run. */
  cancel(): Promise<void>;
}

export interface Launcher {
  readonly name: string;
  /** Refuses, before anything is recorded or submitted, an experiment this launcher cannot run. */
  check(experiment: Experiment): void;
  launch(pending: Trial[], ctx: LaunchContext): Promise<LaunchedTrials>;
}
