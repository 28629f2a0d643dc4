import { basename } from 'node:path';
import type { RunRef } from '../extension-points/tracker.ts';

/** A run as a report reads it: identity, status, tags, params and each metric's latest value. */
export interface ReadRun extends RunRef {
  runName: string;
  /** MLflow's status name: RUNNING, FINISHED, FAILED, KILLED, SCHEDULED */
  status: string;
  startTime: number;
  tags: Record<string, string>;
  params: Record<string, string>;
  /** latest value per metric key, by MLflow's rule (largest step, then timestamp) */
  metrics: Record<string, number>;
}

/**
 * What `crops report` needs from a tracking store: find a sweep, its trial runs and their metric
 * histories, read the sweep's manifest and attach the report files to the sweep run. Small on
 * purpose so the same report runs against the file store and an MLflow server; the file-store
 * form is {@link FileSweepReader}.
 */
export interface SweepReader {
  /** where the runs are, for messages */
  readonly location: string;
  /**
   * The most recently started sweep run (`crops.role = sweep`) of the experiment, if any; with
   * `sweepHash`, only among sweeps of exactly those trials (tag `crops.sweepHash`); with
   * `experimentFile`, only among sweeps started from a file of that name ({@link sameExperimentFile}).
   */
  latestSweep(experimentName: string, sweepHash?: string, experimentFile?: string): Promise<ReadRun | undefined>;
  /** any run by id, in any active experiment */
  getRun(runId: string): Promise<ReadRun | undefined>;
  /** the name of the experiment holding `run` */
  experimentName(run: RunRef): Promise<string>;
  /** runs tagged `mlflow.parentRunId = parent.runId`, oldest first */
  childRuns(parent: RunRef): Promise<ReadRun[]>;
  /** every logged point of one metric, in logging order */
  metricHistory(run: RunRef, key: string): Promise<Array<{ step: number; value: number }>>;
  /** an artifact's text, or undefined when the run has no such artifact */
  readArtifact(run: RunRef, path: string): Promise<string | undefined>;
  writeArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void>;
}

/** The artifact a sweep run carries listing every trial it covered, including reused ones. */
export const SWEEP_MANIFEST = 'sweep.json';

/** Contents of {@link SWEEP_MANIFEST}. */
export interface SweepManifest {
  experiment: string;
  file: string;
  /** the experiment file's `report:` section when the sweep ran */
  report?: Record<string, unknown>;
  trials: Array<{ id: string; seed: number; status: string; runId?: string }>;
}

/**
 * The sweep an experiment file names: its own latest sweep (same trials, by `crops.sweepHash`), else
 * the latest sweep started from this file, e.g. before the file was edited. Files may share an
 * experiment name, as the paper's tables and sensitivity maps do to reuse each other's trials, so
 * another file's sweep is never taken for this one.
 */
export async function latestSweepOf(reader: SweepReader, experiment: { name: string; hash: string; file: string }): Promise<ReadRun | undefined> {
  return (await reader.latestSweep(experiment.name, experiment.hash)) ?? (await reader.latestSweep(experiment.name, undefined, experiment.file));
}

/**
 * Whether a sweep's `crops.experimentFile` tag names `file`. The tag holds the path as it was typed
 * (relative to wherever `crops run` ran), so the file names are compared, not the paths.
 */
export function sameExperimentFile(tag: string | undefined, file: string): boolean {
  return tag !== undefined && basename(tag) === basename(file);
}
