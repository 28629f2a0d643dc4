import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CropsError } from '../core/errors.ts';
import type { RunRef } from '../extension-points/tracker.ts';
import { readYaml } from './file-store-io.ts';
import { MlflowFileStore, type StoredRun } from './file-store.ts';
import { sameExperimentFile, type ReadRun, type SweepReader } from './sweep-reader.ts';
import { SWEEP_ROLE, TAG } from './run-tags.ts';

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

function toReadRun(r: StoredRun): ReadRun {
  return {
    experimentId: r.experimentId,
    runId: r.runId,
    runName: r.runName,
    status: r.status,
    startTime: r.startTime,
    tags: r.tags,
    params: r.params,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.value])),
  };
}

/** {@link SweepReader} over an MLflow file store (what the `mlflow` tracker writes locally). */
export class FileSweepReader implements SweepReader {
  readonly store: MlflowFileStore;

  constructor(root: string) {
    this.store = new MlflowFileStore(root);
  }

  get location(): string {
    return this.store.root;
  }

  /**
   * A reader for the store holding the run directory `dir` (`<root>/<experiment id>/<run id>`),
   * with that run's id; undefined when `dir` is not a run directory.
   */
  static async forRunDirectory(dir: string): Promise<{ reader: FileSweepReader; runId: string } | undefined> {
    const abs = resolve(dir);
    // an experiment directory has a meta.yaml too; only a run's names its run_id
    const meta = await readYaml(join(abs, 'meta.yaml'));
    if (!meta || meta.run_id !== basename(abs) || !RUN_ID.test(basename(abs))) return undefined;
    return { reader: new FileSweepReader(dirname(dirname(abs))), runId: basename(abs) };
  }

  async latestSweep(experimentName: string, sweepHash?: string, experimentFile?: string): Promise<ReadRun | undefined> {
    const sweeps = (await this.store.listRuns(experimentName)).filter(
      (r) =>
        r.tags[TAG.role] === SWEEP_ROLE &&
        (sweepHash === undefined || r.tags[TAG.sweepHash] === sweepHash) &&
        (experimentFile === undefined || sameExperimentFile(r.tags[TAG.experimentFile], experimentFile)),
    );
    // listRuns is sorted by start time
    const last = sweeps.at(-1);
    return last ? toReadRun(last) : undefined;
  }

  async getRun(runId: string): Promise<ReadRun | undefined> {
    if (!RUN_ID.test(runId)) return undefined;
    for (const exp of await this.store.listExperiments()) {
      if (exp.lifecycleStage !== 'active') continue;
      const ref = { experimentId: exp.experimentId, runId };
      const found = await this.store.getRun(ref).catch(() => undefined);
      if (found) return toReadRun(found);
    }
    return undefined;
  }

  async experimentName(run: RunRef): Promise<string> {
    const exp = (await this.store.listExperiments()).find((e) => e.experimentId === run.experimentId);
    if (!exp) throw new CropsError(`MLflow experiment ${run.experimentId} not found in ${this.location}`);
    return exp.name;
  }

  async childRuns(parent: RunRef): Promise<ReadRun[]> {
    const runs = await this.store.listRuns(await this.experimentName(parent));
    return runs.filter((r) => r.tags[TAG.parentRunId] === parent.runId).map(toReadRun);
  }

  async metricHistory(run: RunRef, key: string): Promise<Array<{ step: number; value: number }>> {
    return (await this.store.metricHistory(run, key)).map((p) => ({ step: p.step, value: p.value }));
  }

  async readArtifact(run: RunRef, path: string): Promise<string | undefined> {
    if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new CropsError(`invalid artifact path ${JSON.stringify(path)}`);
    if (!RUN_ID.test(run.runId) || !RUN_ID.test(run.experimentId)) throw new CropsError(`invalid MLflow run ${run.experimentId}/${run.runId}`);
    return readFile(join(this.store.root, run.experimentId, run.runId, 'artifacts', ...path.split('/')), 'utf8').catch(() => undefined);
  }

  writeArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    return this.store.writeArtifact(run, path, content);
  }
}
