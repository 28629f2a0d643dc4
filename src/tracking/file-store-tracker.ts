import type { Logger } from '../core/logger.ts';
import type { FinishedRun, MetricPoint, OpenRun, RunRef, RunStatus, Tracker } from '../extension-points/tracker.ts';
import { MlflowFileStore } from './file-store.ts';
import { assertMetricPoint } from './mlflow-limits.ts';
import { Heartbeat, ownerTags } from './run-owner.ts';
import { currentUser, TAG } from './run-tags.ts';

/** Longest time a logged metric point waits in memory: a killed process loses at most this much. */
const FLUSH_MS = 1000;

/**
 * Records runs in MLflow's file-store layout (readable by `mlflow ui`, the MLflow Python client,
 * and convertible with `mlflow migrate-filestore`). Metrics are buffered in memory and appended
 * in the background every `flushEvery` points, on `flush()` and on `endRun()`, so logging never
 * waits for the disk; a write error surfaces on the next `flush()`/`endRun()`. Child runs carry
 * `mlflow.parentRunId`.
 */
export class FileStoreTracker implements Tracker {
  readonly store: MlflowFileStore;
  private readonly experimentIds = new Map<string, Promise<string>>();
  /** pending points per run (`experimentId/runId`) and their total count */
  private buffer = new Map<string, { run: RunRef; points: MetricPoint[] }>();
  private buffered = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private timer: NodeJS.Timeout | undefined;
  private readonly heartbeat = new Heartbeat((run, tags) => this.store.setTags(run, tags));

  constructor(
    root: string,
    private readonly params: { flushEvery: number },
    private readonly logger?: Logger,
  ) {
    this.store = new MlflowFileStore(root);
  }

  async startRun(opts: Parameters<Tracker['startRun']>[0]): Promise<RunRef> {
    const experimentId = await this.experimentId(opts.experimentName);
    const user = currentUser();
    const tags: Record<string, string> = {
      [TAG.runName]: opts.runName,
      [TAG.user]: user,
      [TAG.sourceName]: process.argv[1] ?? 'crops',
      [TAG.sourceType]: 'LOCAL',
      ...(opts.parent ? { [TAG.parentRunId]: opts.parent.runId } : {}),
      ...opts.tags,
      // who holds the run open: a later process closes it if this one dies (run-owner.ts)
      ...ownerTags(),
    };
    const run = await this.store.createRun({ experimentId, runName: opts.runName, userId: user, tags, params: opts.params });
    this.heartbeat.hold(run);
    return run;
  }

  logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    return this.store.logParams(run, params);
  }

  setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    return this.store.setTags(run, tags);
  }

  logMetrics(run: RunRef, points: MetricPoint[]): void {
    points.forEach(assertMetricPoint);
    const now = Date.now();
    const key = `${run.experimentId}/${run.runId}`;
    const entry = this.buffer.get(key) ?? this.buffer.set(key, { run, points: [] }).get(key)!;
    for (const p of points) entry.points.push({ ...p, timestamp: p.timestamp ?? now });
    this.buffered += points.length;
    if (this.buffered >= this.params.flushEvery) void this.drain();
    // written within a second, so a SIGKILLed trial keeps the points it logged (unref'd: never holds the process)
    else this.timer ??= setTimeout(() => void this.drain(), FLUSH_MS).unref();
  }

  logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    return this.store.writeArtifact(run, path, content);
  }

  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    try {
      await this.flush();
    } finally {
      // a write error of some run's metrics must not leave this run RUNNING forever
      this.heartbeat.release(run);
      await this.store.endRun(run, status);
    }
  }

  async findRunning(experimentName: string, configHash?: string): Promise<OpenRun[]> {
    const runs = await this.store.listRunning(experimentName);
    return runs
      .filter((r) => configHash === undefined || r.tags[TAG.configHash] === configHash)
      .map((r) => ({ run: { experimentId: r.experimentId, runId: r.runId }, runName: r.runName, startTime: r.startTime, tags: r.tags }));
  }

  async closeRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, tags: Record<string, string>): Promise<void> {
    await this.store.setTags(run, tags);
    await this.store.endRun(run, status);
  }

  async findFinished(experimentName: string, configHash: string): Promise<FinishedRun | undefined> {
    const ref = await this.store.findFinished(experimentName, configHash);
    if (!ref) return undefined;
    const stored = await this.store.getRun(ref);
    return { run: ref, metrics: Object.fromEntries(Object.entries(stored.metrics).map(([k, m]) => [k, m.value])), tags: stored.tags };
  }

  findSweep(experimentName: string, sweepHash: string): Promise<RunRef | undefined> {
    return this.store.findFinishedSweep(experimentName, sweepHash);
  }

  async flush(): Promise<void> {
    await this.drain();
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  location(): string {
    return this.store.root;
  }

  /** Queues the buffered points behind earlier writes so each metric file keeps step order. */
  private drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.buffer.values()];
    this.buffer = new Map();
    this.buffered = 0;
    this.writing = this.writing.then(async () => {
      for (const { run, points } of batch) {
        await this.store.appendMetrics(run, points).catch((e: unknown) => {
          this.logger?.warn(`could not write ${points.length} metric points of run ${run.runId}: ${String(e)}`);
          this.failure ??= e;
        });
      }
    });
    return this.writing;
  }

  private experimentId(name: string): Promise<string> {
    const known = this.experimentIds.get(name);
    if (known) return known;
    const id = this.store.getOrCreateExperiment(name);
    this.experimentIds.set(name, id);
    id.catch(() => this.experimentIds.delete(name));
    return id;
  }
}
