import { resolve } from 'node:path';
import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { FinishedRun, MetricPoint, OpenRun, RunRef, RunStatus, Tracker } from '../../src/extension-points/tracker.ts';
import type { MlflowFileStore } from '../../src/tracking/file-store.ts';
import { FileStoreTracker } from '../../src/tracking/file-store-tracker.ts';
import { RestTracker } from '../../src/tracking/rest-tracker.ts';
import { MLFLOW_RUNS, resolveTrackingUri } from '../../src/tracking/tracking-uri.ts';

const schema = z
  .object({
    trackingUri: z
      .string()
      .optional()
      .describe('an http(s):// MLflow server, or a directory or file: URI of an MLflow file store; defaults to $MLFLOW_TRACKING_URI, else ./mlruns'),
    flushEvery: z.number().int().positive().default(500).describe('buffered metric points that trigger a background write'),
    flushSeconds: z.number().positive().default(5).describe('server only: longest time a metric point waits in memory before it is sent'),
    spoolDir: z.string().default('.crops-cache/spool').describe('server only: where writes wait until the server has them (relative to the working directory)'),
    offlineWaitSeconds: z.number().nonnegative().default(120).describe('server only: how long starting or ending a run waits for an unreachable server before going on'),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Records runs in MLflow. With an http(s) tracking URI it talks to the tracking server over REST,
 * spooling every write locally first so an outage loses nothing (see docs/tracking.md); otherwise
 * it writes MLflow's file-store layout, readable by `mlflow ui` and copied to a server by
 * `crops push`. Both keep `logMetrics` off the network and the disk.
 */
@injectable()
export class MlflowTracker implements Tracker {
  private readonly impl: FileStoreTracker | RestTracker;

  constructor(@inject(PluginParams) params: Params, @inject(PluginLogger) @optional() logger?: Logger) {
    const target = resolveTrackingUri(params.trackingUri);
    this.impl =
      target.kind === 'http'
        ? new RestTracker({
            trackingUri: target.url,
            spoolDir: resolve(params.spoolDir),
            flushEvery: params.flushEvery,
            flushMs: params.flushSeconds * 1000,
            offlineWaitMs: params.offlineWaitSeconds * 1000,
            logger,
          })
        : new FileStoreTracker(target.root, params, logger);
  }

  /** the file store written to; undefined for a server */
  get store(): MlflowFileStore | undefined {
    return this.impl instanceof FileStoreTracker ? this.impl.store : undefined;
  }

  startRun(opts: Parameters<Tracker['startRun']>[0]): Promise<RunRef> {
    return this.impl.startRun(opts);
  }

  logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    return this.impl.logParams(run, params);
  }

  setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    return this.impl.setTags(run, tags);
  }

  logMetrics(run: RunRef, points: MetricPoint[]): void {
    this.impl.logMetrics(run, points);
  }

  logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    return this.impl.logArtifact(run, path, content);
  }

  endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>): Promise<void> {
    return this.impl.endRun(run, status);
  }

  findRunning(experimentName: string, configHash?: string): Promise<OpenRun[]> {
    return this.impl.findRunning(experimentName, configHash);
  }

  closeRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, tags: Record<string, string>): Promise<void> {
    return this.impl.closeRun(run, status, tags);
  }

  findFinished(experimentName: string, configHash: string): Promise<FinishedRun | undefined> {
    return this.impl.findFinished(experimentName, configHash);
  }

  findSweep(experimentName: string, sweepHash: string): Promise<RunRef | undefined> {
    return this.impl.findSweep(experimentName, sweepHash);
  }

  flush(): Promise<void> {
    return this.impl.flush();
  }

  location(): string {
    return this.impl.location();
  }
}

export default definePlugin({
  kind: 'tracker',
  name: 'mlflow',
  summary: 'MLflow runs on a tracking server (http(s) URI) or in the file-store layout under ./mlruns',
  schema,
  implementation: MlflowTracker,
  // crops report reads its runs back from the tracking URI in its params
  provides: [MLFLOW_RUNS],
});
