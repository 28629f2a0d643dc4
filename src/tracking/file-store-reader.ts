/** The read side of MLflow's file-store layout: experiments, runs, their tags, params and metrics. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CropsError } from '../core/errors.ts';
import type { MetricPoint, RunRef } from '../extension-points/tracker.ts';
import { type LatestMetric, parseMetricLine, readTree, readYaml, subdirs } from './file-store-io.ts';
import { assertMlflowKey } from './mlflow-limits.ts';
import { TAG } from './run-tags.ts';

/** MLflow's `RunStatus` enum as stored in a run's meta.yaml. */
export const RUN_STATUS_CODES = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 } as const;
export type StoredRunStatus = keyof typeof RUN_STATUS_CODES;

export const TRASH = '.trash';
/** Folders inside an experiment directory that are not runs (FileStore.RESERVED_EXPERIMENT_FOLDERS). */
const RESERVED_EXPERIMENT_FOLDERS = new Set(['tags', 'datasets', 'traces', 'models']);
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

/** One experiment directory of the store. */
export interface ExperimentInfo {
  experimentId: string;
  name: string;
  lifecycleStage: 'active' | 'deleted';
  artifactLocation: string;
}

export type { LatestMetric } from './file-store-io.ts';

/** A run as read back from disk. */
export interface StoredRun extends RunRef {
  runName: string;
  status: StoredRunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: string;
  userId: string;
  artifactUri: string;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: Record<string, LatestMetric>;
}

/**
 * Reads MLflow's file-store layout (see {@link MlflowFileStore}, which writes it): every method
 * here only reads, and a run or file that cannot be parsed is skipped rather than fatal.
 */
export class MlflowFileStoreReader {
  /** absolute path of the store */
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Every readable experiment, active ones first, then those in `.trash`. */
  async listExperiments(): Promise<ExperimentInfo[]> {
    const out: ExperimentInfo[] = [];
    for (const [parent, stage] of [[this.root, 'active'], [join(this.root, TRASH), 'deleted']] as const) {
      for (const id of await subdirs(parent)) {
        if (id.startsWith('.') || !EXPERIMENT_ID.test(id)) continue;
        const meta = await readYaml(join(parent, id, 'meta.yaml'));
        if (!meta || typeof meta.name !== 'string') continue;
        const lifecycleStage = meta.lifecycle_stage === 'deleted' || stage === 'deleted' ? 'deleted' : 'active';
        out.push({ experimentId: id, name: meta.name, lifecycleStage, artifactLocation: String(meta.artifact_location ?? '') });
      }
    }
    return out;
  }

  /** The experiment called `name`, preferring an active one over one in `.trash`. */
  async findExperiment(name: string): Promise<ExperimentInfo | undefined> {
    const all = (await this.listExperiments()).filter((e) => e.name === name);
    return all.find((e) => e.lifecycleStage === 'active') ?? all[0];
  }

  /** Reads one run with its tags, params and latest metric values. */
  async getRun(run: RunRef): Promise<StoredRun> {
    const found = await this.readRun(this.runDir(run), run.experimentId);
    if (!found) throw new CropsError(`MLflow run ${run.runId} not found in experiment ${run.experimentId} of ${this.root}`);
    return found;
  }

  /** Every point logged for one metric, in file order. */
  async metricHistory(run: RunRef, key: string): Promise<Array<Required<MetricPoint>>> {
    assertMlflowKey('metric', key);
    const text = await readFile(join(this.runDir(run), 'metrics', key), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => ({ key, ...parseMetricLine(l) }));
  }

  /** Active runs of the named experiment (empty when it does not exist). */
  listRuns(experimentName: string): Promise<StoredRun[]> {
    return this.scanRuns(experimentName, true);
  }

  /** The runs of the experiment still RUNNING, with tags and no metrics (metric files can be large). */
  async listRunning(experimentName: string): Promise<StoredRun[]> {
    return (await this.scanRuns(experimentName, false)).filter((r) => r.status === 'RUNNING');
  }

  /** The most recently finished run of the experiment tagged `crops.configHash = configHash`. */
  findFinished(experimentName: string, configHash: string): Promise<RunRef | undefined> {
    return this.latestFinished(experimentName, TAG.configHash, configHash);
  }

  /** The most recently finished sweep run of the experiment tagged `crops.sweepHash = sweepHash`. */
  findFinishedSweep(experimentName: string, sweepHash: string): Promise<RunRef | undefined> {
    return this.latestFinished(experimentName, TAG.sweepHash, sweepHash);
  }

  private async latestFinished(experimentName: string, tag: string, value: string): Promise<RunRef | undefined> {
    // status and tags suffice here; metric files can be large
    const done = (await this.scanRuns(experimentName, false)).filter((r) => r.status === 'FINISHED' && r.tags[tag] === value);
    done.sort((a, b) => (b.endTime ?? 0) - (a.endTime ?? 0));
    return done[0] ? { experimentId: done[0].experimentId, runId: done[0].runId } : undefined;
  }

  private async scanRuns(experimentName: string, withData: boolean): Promise<StoredRun[]> {
    const exp = (await this.listExperiments()).find((e) => e.name === experimentName && e.lifecycleStage === 'active');
    if (!exp) return [];
    const expDir = this.experimentDir(exp.experimentId);
    const runs: StoredRun[] = [];
    for (const name of await subdirs(expDir)) {
      if (name.startsWith('.') || RESERVED_EXPERIMENT_FOLDERS.has(name)) continue;
      const run = await this.readRun(join(expDir, name), exp.experimentId, withData);
      if (run && run.lifecycleStage === 'active') runs.push(run);
    }
    return runs.sort((a, b) => a.startTime - b.startTime || a.runId.localeCompare(b.runId));
  }

  /** Reads meta.yaml and tags, plus params and latest metrics when `withData`. */
  protected async readRun(dir: string, experimentId: string, withData = true): Promise<StoredRun | undefined> {
    const meta = await readYaml(join(dir, 'meta.yaml'));
    if (!meta || typeof meta.run_id !== 'string') return undefined;
    const metrics: Record<string, LatestMetric> = Object.create(null);
    for (const [key, text] of Object.entries(withData ? await readTree(join(dir, 'metrics')) : {})) {
      const points = text.split('\n').filter((l) => l.trim() !== '').map(parseMetricLine);
      // MLflow's rule for the displayed value: largest (step, timestamp, value)
      const latest = points.reduce<LatestMetric | undefined>(
        (best, p) => (!best || p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value))) ? p : best),
        undefined,
      );
      if (latest) metrics[key] = latest;
    }
    const status = (Object.keys(RUN_STATUS_CODES) as StoredRunStatus[]).find((s) => RUN_STATUS_CODES[s] === meta.status) ?? 'RUNNING';
    const tags = await readTree(join(dir, 'tags'));
    return {
      experimentId,
      runId: meta.run_id,
      runName: String(meta.run_name ?? tags[TAG.runName] ?? ''),
      status,
      startTime: Number(meta.start_time ?? 0),
      endTime: meta.end_time == null ? null : Number(meta.end_time),
      lifecycleStage: String(meta.lifecycle_stage ?? 'active'),
      userId: String(meta.user_id ?? ''),
      artifactUri: String(meta.artifact_uri ?? ''),
      tags,
      params: withData ? await readTree(join(dir, 'params')) : Object.create(null),
      metrics,
    };
  }

  protected experimentDir(experimentId: string): string {
    if (!EXPERIMENT_ID.test(experimentId)) throw new CropsError(`invalid MLflow experiment id ${JSON.stringify(experimentId)}`);
    return join(this.root, experimentId);
  }

  protected runDir(run: RunRef): string {
    if (!RUN_ID.test(run.runId)) throw new CropsError(`invalid MLflow run id ${JSON.stringify(run.runId)}`);
    return join(this.experimentDir(run.experimentId), run.runId);
  }
}
