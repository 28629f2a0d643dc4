import { CropsError } from '../core/errors.ts';
import type { RunRef } from '../extension-points/tracker.ts';
import { MlflowApiError, MlflowRestClient, type RestRun } from './rest-client.ts';
import { sameExperimentFile, type ReadRun, type SweepReader } from './sweep-reader.ts';
import { TAG } from './run-tags.ts';

/** MLflow's displayed value of a metric: the point with the largest (step, timestamp, value). */
function latest(points: Array<{ key: string; value: number; step: number; timestamp: number }>): Record<string, number> {
  const best = new Map<string, { value: number; step: number; timestamp: number }>();
  for (const p of points) {
    const b = best.get(p.key);
    if (!b || p.step > b.step || (p.step === b.step && (p.timestamp > b.timestamp || (p.timestamp === b.timestamp && p.value > b.value)))) best.set(p.key, p);
  }
  return Object.fromEntries([...best].map(([k, p]) => [k, p.value]));
}

function toReadRun(r: RestRun): ReadRun {
  const pairs = (list?: Array<{ key: string; value: string }>) => Object.fromEntries((list ?? []).map((e) => [e.key, e.value]));
  return {
    experimentId: r.info.experiment_id,
    runId: r.info.run_id,
    runName: r.info.run_name ?? '',
    status: r.info.status,
    startTime: Number(r.info.start_time ?? 0),
    tags: pairs(r.data.tags),
    params: pairs(r.data.params),
    // runs/get and runs/search return each metric's latest value already
    metrics: latest((r.data.metrics ?? []).map((m) => ({ ...m, value: Number(m.value) }))),
  };
}

/** {@link SweepReader} over an MLflow tracking server's REST API (what `crops report` uses for http(s) URIs). */
export class RestSweepReader implements SweepReader {
  private readonly artifactUris = new Map<string, string>();

  constructor(private readonly client: MlflowRestClient) {}

  get location(): string {
    return this.client.baseUrl;
  }

  async latestSweep(experimentName: string, sweepHash?: string, experimentFile?: string): Promise<ReadRun | undefined> {
    const id = await this.client.getExperimentId(experimentName);
    if (!id) return undefined;
    // the hash is hex from our own tag, so it needs no quoting beyond the filter's
    const filter = `tags.\`crops.role\` = 'sweep'${sweepHash === undefined ? '' : ` and tags.\`crops.sweepHash\` = '${sweepHash.replace(/[^0-9a-f]/gi, '')}'`}`;
    if (experimentFile === undefined) {
      const [run] = await this.client.searchRuns([id], filter, ['attributes.start_time DESC'], 1);
      return run ? this.remember(run) : undefined;
    }
    // file names are compared, not paths, which a filter string cannot do: read the sweeps newest first
    const run = (await this.client.searchRuns([id], filter, ['attributes.start_time DESC'])).map((r) => this.remember(r)).find((r) => sameExperimentFile(r.tags[TAG.experimentFile], experimentFile));
    return run;
  }

  async getRun(runId: string): Promise<ReadRun | undefined> {
    try {
      return this.remember(await this.client.getRun(runId));
    } catch (e) {
      if (e instanceof MlflowApiError && (e.errorCode === 'RESOURCE_DOES_NOT_EXIST' || e.status === 404 || e.errorCode === 'INVALID_PARAMETER_VALUE')) return undefined;
      throw e;
    }
  }

  async experimentName(run: RunRef): Promise<string> {
    const r = await this.client.call<{ experiment: { name: string } }>('GET', '/api/2.0/mlflow/experiments/get', { query: { experiment_id: run.experimentId } });
    return r.experiment.name;
  }

  async childRuns(parent: RunRef): Promise<ReadRun[]> {
    const runs = await this.client.searchRuns([parent.experimentId], `tags.\`${TAG.parentRunId}\` = '${parent.runId}'`, ['attributes.start_time ASC']);
    return runs.map((r) => this.remember(r));
  }

  async metricHistory(run: RunRef, key: string): Promise<Array<{ step: number; value: number }>> {
    return (await this.client.metricHistory(run.runId, key)).map((p) => ({ step: p.step, value: p.value }));
  }

  async readArtifact(run: RunRef, path: string): Promise<string | undefined> {
    try {
      return new TextDecoder().decode(await this.client.downloadArtifact(await this.artifactUri(run), path));
    } catch (e) {
      if (e instanceof MlflowApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async writeArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    await this.client.uploadArtifact(await this.artifactUri(run), path, content);
  }

  private remember(r: RestRun): ReadRun {
    this.artifactUris.set(r.info.run_id, r.info.artifact_uri);
    return toReadRun(r);
  }

  private async artifactUri(run: RunRef): Promise<string> {
    const known = this.artifactUris.get(run.runId) ?? (await this.client.getRun(run.runId)).info.artifact_uri;
    if (!known) throw new CropsError(`MLflow run ${run.runId} on ${this.location} has no artifact URI`);
    this.artifactUris.set(run.runId, known);
    return known;
  }
}
