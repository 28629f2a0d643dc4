export const Tracker = Symbol.for('crops.Tracker');

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunRef {
  experimentId: string;
  runId: string;
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
  /** finished child runs of this experiment with the given config-hash tag, for resume */
  findFinished?(experimentName: string, configHash: string): Promise<RunRef | undefined>;
  flush(): Promise<void>;
  /** where a user finds the runs, printed at the end of a sweep */
  location(): string;
}
