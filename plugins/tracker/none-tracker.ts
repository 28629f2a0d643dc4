import { randomUUID } from 'node:crypto';
import { injectable } from 'inversify';
import { z } from 'zod';
import { CropsError } from '../../src/core/errors.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { FinishedRun, MetricPoint, RunRef, RunStatus, Tracker } from '../../src/extension-points/tracker.ts';
import { assertMetricPoint, assertParams, assertTags } from '../../src/tracking/mlflow-limits.ts';
import { TAG } from '../../src/tracking/run-tags.ts';

const schema = z.object({}).strict();

/** Everything one run received, kept in memory. */
export interface MemoryRun {
  ref: RunRef;
  experimentName: string;
  runName: string;
  parent?: RunRef;
  status: RunStatus;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: Array<Required<MetricPoint>>;
  artifacts: Map<string, string | Uint8Array>;
}

/**
 * Records nothing on disk: runs live in this object until the process exits. Useful for tests and
 * dry runs. It applies the same key, value and write-once checks as the `mlflow` tracker, so a
 * test against it catches what MLflow would reject; `runs()` exposes what was logged.
 */
@injectable()
export class NoneTracker implements Tracker {
  private readonly byId = new Map<string, MemoryRun>();
  private readonly experimentIds = new Map<string, string>();

  async startRun(opts: Parameters<Tracker['startRun']>[0]): Promise<RunRef> {
    let experimentId = this.experimentIds.get(opts.experimentName);
    if (!experimentId) this.experimentIds.set(opts.experimentName, (experimentId = String(this.experimentIds.size + 1)));
    const ref = { experimentId, runId: randomUUID().replace(/-/g, '') };
    const run: MemoryRun = { ref, experimentName: opts.experimentName, runName: opts.runName, parent: opts.parent, status: 'RUNNING', tags: Object.create(null), params: Object.create(null), metrics: [], artifacts: new Map() };
    this.byId.set(ref.runId, run);
    await this.setTags(ref, { [TAG.runName]: opts.runName, ...(opts.parent ? { [TAG.parentRunId]: opts.parent.runId } : {}), ...opts.tags });
    await this.logParams(ref, opts.params ?? {});
    return ref;
  }

  async logParams(ref: RunRef, params: Record<string, string>): Promise<void> {
    const run = this.run(ref);
    assertParams(params);
    for (const [key, value] of Object.entries(params)) {
      if (Object.hasOwn(run.params, key) && run.params[key] !== value) {
        throw new CropsError(`param ${JSON.stringify(key)} of run ${ref.runId} is already ${JSON.stringify(run.params[key])}; params are write-once`);
      }
    }
    Object.assign(run.params, params);
  }

  async setTags(ref: RunRef, tags: Record<string, string>): Promise<void> {
    const run = this.run(ref);
    assertTags(tags);
    Object.assign(run.tags, tags);
  }

  logMetrics(ref: RunRef, points: MetricPoint[]): void {
    const run = this.run(ref);
    const now = Date.now();
    for (const p of points) {
      assertMetricPoint(p);
      run.metrics.push({ ...p, timestamp: p.timestamp ?? now });
    }
  }

  async logArtifact(ref: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    this.run(ref).artifacts.set(path, content);
  }

  async endRun(ref: RunRef, status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    this.run(ref).status = status;
  }

  async findFinished(experimentName: string, configHash: string): Promise<FinishedRun | undefined> {
    const hit = this.runs()
      .filter((r) => r.experimentName === experimentName && r.status === 'FINISHED' && r.tags[TAG.configHash] === configHash)
      .at(-1);
    if (!hit) return undefined;
    // the last point logged per key is its latest value
    const metrics: Record<string, number> = {};
    for (const p of hit.metrics) metrics[p.key] = p.value;
    return { run: hit.ref, metrics };
  }

  async flush(): Promise<void> {}

  location(): undefined {
    return undefined;
  }

  /** Every run started so far, in start order. */
  runs(): MemoryRun[] {
    return [...this.byId.values()];
  }

  private run(ref: RunRef): MemoryRun {
    const run = this.byId.get(ref.runId);
    if (!run) throw new CropsError(`tracker/none: unknown run ${ref.runId}`);
    return run;
  }
}

export default definePlugin({
  kind: 'tracker',
  name: 'none',
  summary: 'keeps runs in memory only (tests, dry runs); nothing is recorded',
  schema,
  implementation: NoneTracker,
});
