import { createHash, randomUUID } from 'node:crypto';
import { CropsError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { FinishedRun, MetricPoint, OpenRun, RunRef, RunStatus, Tracker } from '../extension-points/tracker.ts';
import { currentUser } from './run-tags.ts';
import { assertMetricPoint, assertParams, assertTags } from './mlflow-limits.ts';
import { artifactSchemeProblem, assertArtifactPath } from './rest-artifacts.ts';
import { decodeMetricValue, encodeMetricValue, type RestMetric } from './rest-batch.ts';
import { DEFAULT_RETRY, MlflowRestClient, MlflowUnavailableError, type RetryPolicy } from './rest-client.ts';
import { Heartbeat, ownerTags } from './run-owner.ts';
import { RunSpool, sendOp, type PendingOp, type SpoolOp } from './spool.ts';
import { TAG } from './run-tags.ts';

/** Param values longer than this are logged as their hash, with the full value as an artifact. */
export const LONG_PARAM = 500;

export interface RestTrackerOptions {
  trackingUri: string;
  spoolDir: string;
  /** buffered metric points that trigger a background send */
  flushEvery: number;
  /** longest time a metric point waits in memory before it is spooled and sent */
  flushMs: number;
  /** how long `startRun`, `endRun` and `flush` wait for an unreachable server before going on */
  offlineWaitMs: number;
  retry?: RetryPolicy;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

interface RunState {
  spool: RunSpool;
  queue: Array<PendingOp & { content?: string | Uint8Array; written: Promise<void> }>;
  nextSeq: number;
  metrics: RestMetric[];
  params: Map<string, string>;
  ended: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
/**
 * A wait that keeps the process alive: while `settle` waits for the spool to drain, every other
 * timer may be unref'd (the sender's back-off), and Node would end the process in the middle of
 * the await with exit code 13 and no message.
 */
const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Records runs on an MLflow tracking server. Every write goes to the local spool first and is
 * sent by one background loop, in order per run, so training never waits for the network and an
 * outage loses nothing: the loop retries until the server answers again. `endRun` and `flush`
 * wait up to `offlineWaitMs` for the queue to empty; what is still unsent then stays in the spool
 * and is reported, for `crops push` to deliver.
 */
export class RestTracker implements Tracker {
  readonly client: MlflowRestClient;
  private readonly runs = new Map<string, RunState>();
  private readonly experimentIds = new Map<string, Promise<string>>();
  private buffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  /** set when `settle` stopped waiting; the sender then stops at the next unanswered request */
  private paused = false;
  private failure: unknown;
  private readonly heartbeat = new Heartbeat((run, tags) => (this.runs.get(run.runId)?.ended ? Promise.resolve() : this.setTags(run, tags)));

  constructor(private readonly opts: RestTrackerOptions) {
    this.client = new MlflowRestClient(opts.trackingUri, opts.retry ?? DEFAULT_RETRY, opts.env);
  }

  async startRun(o: Parameters<Tracker['startRun']>[0]): Promise<RunRef> {
    const experimentId = await this.patiently(() => this.experimentId(o.experimentName));
    const tags: Record<string, string> = {
      [TAG.runName]: o.runName,
      [TAG.user]: currentUser(),
      [TAG.sourceName]: process.argv[1] ?? 'crops',
      [TAG.sourceType]: 'LOCAL',
      ...(o.parent ? { [TAG.parentRunId]: o.parent.runId } : {}),
      ...o.tags,
      // who holds the run open: a later process closes it if this one dies (run-owner.ts)
      ...ownerTags(),
    };
    assertTags(tags);
    const userId = tags[TAG.user]!;
    const key = randomUUID();
    const startTime = Date.now();
    const info = await this.patiently(() => this.client.createRun({ experimentId, runName: o.runName, startTime, userId, tags, key }));
    const ref = { experimentId: info.experiment_id, runId: info.run_id };
    const problem = artifactSchemeProblem(info.artifact_uri);
    if (problem) {
      // every trial stores artifacts, so refuse before anything trains
      await this.client.updateRun(ref.runId, 'FAILED', Date.now()).catch(() => undefined);
      throw new CropsError(`tracker/mlflow: ${problem}`);
    }
    const header = { trackingUri: this.client.baseUrl, experimentId: ref.experimentId, runId: ref.runId, artifactUri: info.artifact_uri };
    this.runs.set(ref.runId, { spool: new RunSpool(this.opts.spoolDir, header), queue: [], nextSeq: 0, metrics: [], params: new Map(), ended: false });
    if (o.params && Object.keys(o.params).length > 0) await this.logParams(ref, o.params);
    this.heartbeat.hold(ref);
    return ref;
  }

  async logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    const state = this.state(run);
    assertParams(params);
    const fresh = Object.entries(params).filter(([key, value]) => {
      const old = state.params.get(key);
      if (old !== undefined && old !== value) {
        throw new CropsError(`param ${JSON.stringify(key)} of run ${run.runId} is already ${JSON.stringify(old)}; params are write-once, use a tag or metric for values that change`);
      }
      return old === undefined;
    });
    const sent: Array<{ key: string; value: string }> = [];
    const written: Promise<void>[] = [];
    for (const [key, value] of fresh) {
      state.params.set(key, value);
      if (value.length <= LONG_PARAM) {
        sent.push({ key, value });
        continue;
      }
      // the hash identifies the value in the UI and in searches; the artifact keeps it whole
      sent.push({ key, value: `sha256:${createHash('sha256').update(value).digest('hex')}` });
      written.push(this.enqueueArtifact(run, state, `params/${key}.txt`, value));
    }
    if (sent.length > 0) written.push(this.enqueue(state, { op: 'batch', entities: { params: sent } }));
    await Promise.all(written);
  }

  async setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    assertTags(tags);
    await this.enqueue(this.state(run), { op: 'batch', entities: { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) } });
  }

  logMetrics(run: RunRef, points: MetricPoint[]): void {
    const state = this.state(run);
    points.forEach(assertMetricPoint);
    const now = Date.now();
    // the timestamp is fixed here, so a re-sent point is identical and the server stores it once
    for (const p of points) state.metrics.push({ key: p.key, value: encodeMetricValue(p.value), step: p.step, timestamp: p.timestamp ?? now });
    this.buffered += points.length;
    if (this.buffered >= this.opts.flushEvery) this.spoolMetrics();
    else this.timer ??= setTimeout(() => this.spoolMetrics(), this.opts.flushMs).unref();
  }

  logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    return this.enqueueArtifact(run, this.state(run), path, content);
  }

  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    const state = this.state(run);
    this.heartbeat.release(run);
    this.spoolMetrics();
    state.ended = true;
    await this.enqueue(state, { op: 'end', status, endTime: Date.now() });
    await this.settle();
  }

  async findFinished(experimentName: string, configHash: string): Promise<FinishedRun | undefined> {
    const found = await this.latestFinished(experimentName, TAG.configHash, configHash);
    if (!found) return undefined;
    const { run, hit } = found;
    const metrics = Object.fromEntries((hit.data.metrics ?? []).map((m) => [m.key, decodeMetricValue(m.value)]));
    const tags = Object.fromEntries((hit.data.tags ?? []).map((t) => [t.key, t.value]));
    return { run, metrics, tags };
  }

  async findSweep(experimentName: string, sweepHash: string): Promise<RunRef | undefined> {
    return (await this.latestFinished(experimentName, TAG.sweepHash, sweepHash))?.run;
  }

  /** The latest FINISHED run tagged `tag` = `value`, as the server returned it. */
  private async latestFinished(experimentName: string, tag: string, value: string) {
    const experimentId = await this.client.getExperimentId(experimentName);
    if (!experimentId) return undefined;
    const filter = `tags.\`${tag}\` = '${value.replace(/'/g, "\\'")}' and attributes.status = 'FINISHED'`;
    const [hit] = await this.client.searchRuns([experimentId], filter, ['attributes.end_time DESC'], 1);
    return hit ? { run: { experimentId, runId: hit.info.run_id }, hit } : undefined;
  }

  async findRunning(experimentName: string, configHash?: string): Promise<OpenRun[]> {
    const experimentId = await this.client.getExperimentId(experimentName);
    if (!experimentId) return [];
    const hash = configHash === undefined ? '' : ` and tags.\`crops.configHash\` = '${configHash.replace(/'/g, "\\'")}'`;
    const runs = await this.client.searchRuns([experimentId], `attributes.status = 'RUNNING'${hash}`);
    return runs.map((r) => ({
      run: { experimentId, runId: r.info.run_id },
      runName: r.info.run_name ?? '',
      startTime: Number(r.info.start_time ?? 0),
      tags: Object.fromEntries((r.data.tags ?? []).map((t) => [t.key, t.value])),
    }));
  }

  /** Sent straight to the server, not spooled: the run belongs to a process that is gone. */
  async closeRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, tags: Record<string, string>): Promise<void> {
    assertTags(tags);
    await this.client.logBatch(run.runId, { tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
    await this.client.updateRun(run.runId, status, Date.now());
  }

  async flush(): Promise<void> {
    this.spoolMetrics();
    await this.settle();
  }

  location(): string {
    return this.client.baseUrl;
  }

  /** Operations not yet acknowledged by the server, over all runs. */
  pending(): number {
    return [...this.runs.values()].reduce((n, s) => n + s.queue.length, 0);
  }

  /** Waits for the queue to empty (up to `offlineWaitMs`), then reports what is left and any rejected write. */
  private async settle(): Promise<void> {
    const deadline = Date.now() + this.opts.offlineWaitMs;
    while (this.pending() > 0 && Date.now() < deadline) await Promise.race([this.kick(), wait(Math.min(1000, deadline - Date.now()))]);
    const left = this.pending();
    if (left > 0) {
      // let the process end; the next write wakes the sender again
      this.paused = true;
      this.client.cancelPending();
      this.opts.logger?.warn(
        `${left} write(s) could not reach ${this.client.baseUrl} yet; they are kept in ${this.opts.spoolDir} and sent when the server answers, ` +
          `or by \`crops push --to ${this.client.baseUrl}\` after this process ends`,
      );
    }
    if (this.failure !== undefined) {
      const e = this.failure;
      this.failure = undefined;
      throw e;
    }
  }

  private spoolMetrics(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.buffered = 0;
    for (const state of this.runs.values()) {
      if (state.metrics.length === 0) continue;
      const metrics = state.metrics;
      state.metrics = [];
      void this.enqueue(state, { op: 'batch', entities: { metrics } }).catch((e: unknown) => (this.failure ??= e));
    }
  }

  private enqueueArtifact(run: RunRef, state: RunState, path: string, content: string | Uint8Array): Promise<void> {
    assertArtifactPath(path);
    const problem = artifactSchemeProblem(state.spool.header.artifactUri);
    if (problem) throw new CropsError(`cannot store artifact ${path} of run ${run.runId}: ${problem}`);
    return this.enqueue(state, { op: 'artifact', path }, content);
  }

  /** Spools the operation and wakes the sender; resolves once the operation is on disk. */
  private enqueue(state: RunState, op: SpoolOp, content?: string | Uint8Array): Promise<void> {
    const seq = state.nextSeq++;
    const written = state.spool.append(seq, op, content);
    state.queue.push({ seq, op, content, written });
    void written.then(() => this.kick(), () => undefined);
    return written;
  }

  /** Starts the sender unless it runs; resolves when it stops (queues empty, or paused while offline). */
  private kick(): Promise<void> {
    this.paused = false;
    this.loop ??= this.send().finally(() => {
      this.loop = undefined;
      // an operation queued while the sender was finishing would otherwise wait for the next write
      if (this.pending() > 0 && !this.paused) void this.kick().catch(() => undefined);
    });
    return this.loop;
  }

  private async send(): Promise<void> {
    for (;;) {
      const entry = [...this.runs.entries()].find(([, s]) => s.queue.length > 0);
      // paused: what is left belongs to `crops push` now, which must not race this loop
      if (!entry || this.paused) return;
      const [runId, state] = entry;
      const item = state.queue[0]!;
      try {
        await item.written;
        await sendOp(this.client, this.opts.spoolDir, state.spool.header, item, item.content);
      } catch (e) {
        if (e instanceof MlflowUnavailableError) {
          // offline: keep the operation at the head and try again later
          this.opts.logger?.debug(`${e.message}; retrying`);
          await sleep(this.opts.retry?.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs);
          continue;
        }
        this.opts.logger?.warn(`MLflow rejected a write of run ${runId}: ${(e as Error).message}`);
        this.failure ??= e;
      }
      state.queue.shift();
      await state.spool.ack(item.seq);
      if (state.ended && state.queue.length === 0 && state.metrics.length === 0) await state.spool.remove();
    }
  }

  /** Retries `fn` while the server is unreachable, for up to `offlineWaitMs`. */
  private async patiently<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.opts.offlineWaitMs;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof MlflowUnavailableError) || Date.now() > deadline) throw e;
      }
    }
  }

  private experimentId(name: string): Promise<string> {
    const known = this.experimentIds.get(name);
    if (known) return known;
    const id = this.client.getOrCreateExperiment(name);
    this.experimentIds.set(name, id);
    id.catch(() => this.experimentIds.delete(name));
    return id;
  }

  private state(run: RunRef): RunState {
    const state = this.runs.get(run.runId);
    if (!state) throw new CropsError(`tracker/mlflow: run ${run.runId} was not started by this tracker`);
    return state;
  }
}
