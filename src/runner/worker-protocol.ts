/** Messages between a parallel sweep and its trial workers (Node's IPC channel, JSON). */
import type { LogLevel } from '../core/logger.ts';
import type { RunRef } from '../extension-points/index.ts';
import type { ReportedTrialResult } from './trial-result.ts';

export interface WorkerInit {
  type: 'init';
  /** what the worker's loader gets to rebuild the registry and the experiment */
  load: unknown;
  /** the sweep's experiment hash: the worker refuses an experiment that changed on disk meanwhile */
  experimentHash: string;
  cacheRoot: string;
  logLevel: LogLevel;
}

export interface WorkerTrial {
  type: 'trial';
  /** index into the experiment's trials */
  index: number;
  /** the sweep's parent run, which the trial's run is created under */
  parent: RunRef;
  tags: Record<string, string>;
}

export type ToWorker = WorkerInit | WorkerTrial | { type: 'abort' } | { type: 'stop' };

export type ProgressEvent =
  | { kind: 'trial'; index: number; total: number; id: string }
  | { kind: 'phase'; text: string }
  | { kind: 'step'; step: number; total: number; values: Record<string, number>; stepsPerSecond: number }
  | { kind: 'line'; text: string };

export interface WorkerResult extends ReportedTrialResult {
  type: 'result';
}

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'progress'; event: ProgressEvent }
  | WorkerResult
  /** the sweep was interrupted before this trial started; it stays for the next run */
  | { type: 'unstarted'; index: number }
  /** the worker cannot go on (it could not load the experiment, a backend or the tracker) */
  | { type: 'fatal'; message: string };
