/**
 * The MLflow tags crops-lab writes and reads, named once. `mlflow.*` tags are MLflow's own (its UI
 * reads them); `crops.*` tags are how crops-lab finds its runs again: a trial's config hash to skip
 * finished trials, the sweep role to report a sweep, the pushed-from id to push only once.
 */
import { userInfo } from 'node:os';

export const TAG = {
  // MLflow's own
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  parentRunId: 'mlflow.parentRunId',
  // crops-lab's
  version: 'crops.version',
  backend: 'crops.backend',
  experimentFile: 'crops.experimentFile',
  host: 'crops.host',
  role: 'crops.role',
  sweepHash: 'crops.sweepHash',
  trialId: 'crops.trialId',
  configHash: 'crops.configHash',
  seed: 'crops.seed',
  error: 'crops.error',
  pushedFrom: 'crops.pushedFrom',
  clientRunKey: 'crops.clientRunKey',
  // where a sweep's trials ran, when not on the machine that started it
  launcher: 'crops.launcher',
  slurmJobId: 'crops.slurm.jobId',
  slurmDir: 'crops.slurm.dir',
  slurmFinishJobId: 'crops.slurm.finishJobId',
  slurmTaskId: 'crops.slurm.taskId',
  slurmNode: 'crops.slurm.node',
  slurmSignal: 'crops.slurm.signal',
  slurmState: 'crops.slurm.state',
  slurmReason: 'crops.slurm.reason',
  // who holds a RUNNING run open, and why another process ended it (see run-owner.ts)
  ownerHost: 'crops.owner.host',
  ownerPid: 'crops.owner.pid',
  ownerStarted: 'crops.owner.started',
  heartbeat: 'crops.heartbeat',
  endReason: 'crops.endReason',
} as const;

/** `crops.role` of the parent run of a sweep. */
export const SWEEP_ROLE = 'sweep';

/** Tag naming the plugin a trial used in a slot, e.g. `crops.plugin.loss` = `info-nce`. */
export const pluginTag = (slot: string): string => `crops.plugin.${slot}`;

/** Tag holding one detail of a trial failure, e.g. `crops.failure.step`. */
export const failureTag = (detail: string): string => `crops.failure.${detail}`;

/** The user name recorded as `mlflow.user`. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // containers may run as a uid without a passwd entry
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** Metric history of a trial's dev score during model selection (`train.select`), one point per scoring. */
export const DEV_CURVE_KEY = 'train/dev_metric';

/** What a trial trained under `train.select` logs about model selection (read back by reports). */
export const SELECTION_KEY = {
  bestStep: 'train/best_step',
  bestDevMetric: 'train/best_dev_metric',
  stepsRun: 'train/steps_run',
  stoppedEarly: 'train/stopped_early',
} as const;
