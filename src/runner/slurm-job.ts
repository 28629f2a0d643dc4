/**
 * What a sweep's Slurm job array shares between the submitting process, the array tasks and the
 * job that ends a detached sweep: a JSON file in the sweep's folder on the shared path, next to
 * the tasks' logs and result files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from '../core/atomic-write.ts';
import type { LogLevel } from '../core/logger.ts';
import type { RunRef } from '../extension-points/index.ts';
import type { SweepManifest } from '../tracking/sweep-reader.ts';
import type { TrackingTarget } from '../tracking/tracking-uri.ts';
import type { ReportedTrialResult } from './trial-result.ts';

export interface SlurmJobSpec {
  /** what the tasks load the experiment and plugins from (the CLI's arguments, absolute paths) */
  load: unknown;
  experimentName: string;
  experimentFile: string;
  /** a task refuses an experiment that changed on disk since the sweep was submitted */
  experimentHash: string;
  /** array task i runs trial `trials[i]` (an index into the experiment's trials) */
  trials: number[];
  trialCount: number;
  parent: RunRef;
  tags: Record<string, string>;
  tracking: TrackingTarget;
  cacheRoot: string;
  logLevel: LogLevel;
  /** the `report:` section, for the sweep manifest a detached sweep's last job writes */
  report?: Record<string, unknown>;
  /** trials reused from earlier sweeps, for that manifest */
  skipped: SweepManifest['trials'];
  /** which trial each array task runs, by id and seed, for that manifest */
  trialInfo: Array<{ id: string; seed: number }>;
  /** trials not submitted because array task `task` runs their config: they take its run once it finished */
  twins?: Array<{ id: string; seed: number; task: number }>;
}

/** What an array task leaves when its trial ended (whatever the outcome). */
export type TaskResult = ReportedTrialResult;

export const jobFile = (dir: string) => join(dir, 'job.json');
export const jobIdFile = (dir: string) => join(dir, 'job-id');
export const resultFile = (dir: string, task: number) => join(dir, `result-${task}.json`);
export const taskLog = (dir: string, task: number) => join(dir, `task-${task}.log`);

export async function readJobSpec(file: string): Promise<SlurmJobSpec> {
  return JSON.parse(await readFile(file, 'utf8')) as SlurmJobSpec;
}

/** Written whole or not at all, so a reader never sees half a file. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await atomicWrite(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readResult(dir: string, task: number): Promise<TaskResult | undefined> {
  try {
    return JSON.parse(await readFile(resultFile(dir, task), 'utf8')) as TaskResult;
  } catch {
    return undefined;
  }
}
