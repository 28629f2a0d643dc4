export const Tracker = Symbol.for('crops.Tracker');

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunRef {
  experimentId: string;
  runId: string;
}

export interface FinishedRun {
  run: RunRef;
  metrics: Record<string, number>;
  /** the run's tags (`mlflow.parentRunId` names its sweep run), where the store returns them */
  tags?: Record<string, string>;
}

/** A run found RUNNING in the store. */
export interface OpenRun {
  run: RunRef;
  runName: string;
  startTime: number;
  tags: Record<string, string>;
}

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp?: number;
}

/**
 * Records sweeps and trials. One parent run per sweep, one child run per trial tagged
 * `mlflow.parentRunId`. Params are flat string maps (dotted keys); metric keys use MLflow's
 * allowed characters (letters, digits, `_ - . / space :`). `logMetrics` must not block training:
 * implementations buffer and flush. Nothing secret may be passed here; callers redact.
 */
export interface Tracker {
  startRun(opts: {
    experimentName: string;
    runName: string;
    parent?: RunRef;
    tags?: Record<string, string>;
    params?: Record<string, string>;
  }): Promise<RunRef>;
  logParams(run: RunRef, params: Record<string, string>): Promise<void>;
  setTags(run: RunRef, tags: Record<string, string>): Promise<void>;
  logMetrics(run: RunRef, points: MetricPoint[]): void;
  logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void>;
  endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>): Promise<void>;
  /**
   * The latest FINISHED run of this experiment tagged `crops.configHash` = `configHash`, with its
   * latest metric values by MLflow key, so a resumed sweep can skip the trial and still report it.
   */
  findFinished?(experimentName: string, configHash: string): Promise<FinishedRun | undefined>;
  /**
   * The latest FINISHED sweep run of this experiment tagged `crops.sweepHash` = `sweepHash`: whether
   * an experiment file already has a sweep run that `crops report` can read.
   */
  findSweep?(experimentName: string, sweepHash: string): Promise<RunRef | undefined>;
  /**
   * Every run of this experiment still RUNNING (optionally only those tagged `crops.configHash` =
   * `configHash`), with its tags and start time: how a later process finds runs whose owner is gone
   * (see tracking/run-owner.ts) and trials another process is running.
   */
  findRunning?(experimentName: string, configHash?: string): Promise<OpenRun[]>;
  /** Ends a run this tracker did not start (its owner is gone): sets `tags`, then the status. */
  closeRun?(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, tags: Record<string, string>): Promise<void>;
  flush(): Promise<void>;
  /** where a user finds the runs, printed at the end of a sweep; undefined when nothing is kept */
  location(): string | undefined;
}
