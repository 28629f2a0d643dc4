/**
 * What a trial ended as. Its own file so the sweep pieces (sweep-setup.ts) and the trial runner,
 * which uses them, can both name it without importing each other.
 */
import type { Trial } from '../config/experiment.ts';

export type TrialStatus = 'FINISHED' | 'FAILED' | 'KILLED' | 'SKIPPED';

/** How model selection on the dev split ended a trial's training (absent when it trained without one). */
export interface SelectionEnd {
  stepsRun: number;
  bestStep: number;
  /** false: the trial ran its whole `train.steps` cap */
  stoppedEarly: boolean;
}

export interface TrialResult {
  trial: Trial;
  status: TrialStatus;
  metrics: Record<string, number>;
  runId?: string;
  error?: string;
  seconds: number;
  /** of a SKIPPED trial: the sweep run and backend it finished under, where the tracker knows */
  sweepRunId?: string;
  backend?: string;
  selection?: SelectionEnd;
  /** the trial never started because the tracker was unreachable: not the trial's fault, so the sweep goes on */
  trackerDown?: boolean;
}

/** A trial's outcome as another process reports it (a worker, a Slurm array task): by trial index, without the trial. */
export interface ReportedTrialResult {
  index: number;
  status: Exclude<TrialStatus, 'SKIPPED'>;
  metrics: Record<string, number>;
  runId?: string;
  error?: string;
  seconds: number;
  selection?: SelectionEnd;
}

/**
 * The result as another process sends it back; `who` names that process for the error a skipped
 * trial would be (the sweep skips trials before handing them out, so none should reach one).
 */
export function toReported(index: number, r: TrialResult, who: string): ReportedTrialResult {
  if (r.status === 'SKIPPED') throw new Error(`${who} never skips its trial`);
  return { index, status: r.status, metrics: r.metrics, runId: r.runId, error: r.error, seconds: r.seconds, selection: r.selection };
}

/** A reported result joined to its trial again. */
export function fromReported(trial: Trial, r: ReportedTrialResult): TrialResult {
  return { trial, status: r.status, metrics: r.metrics, runId: r.runId, error: r.error, seconds: r.seconds, selection: r.selection };
}
