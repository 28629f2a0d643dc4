/**
 * Runs trials in local worker processes, each with its own backend and tracker, all under the same
 * parent run. This process keeps the queue, the display and the results (see sweep.ts); a resumed
 * sweep only starts the workers it needs.
 */
import type { Experiment, Trial } from '../config/experiment.ts';
import type { Launcher, SweepRun } from './launcher.ts';
import type { SweepOptions, SweepServices } from './sweep-setup.ts';
import { closeOrphanedRuns } from './trial-claims.ts';
import { fromReported, type TrialResult } from './trial-result.ts';
import { startWorkers, stopWorkers, type TrialWorker } from './worker-pool.ts';

export class WorkerPoolLauncher implements Launcher {
  private workers: TrialWorker[] = [];

  constructor(
    private readonly experiment: Experiment,
    private readonly services: SweepServices,
    private readonly opts: SweepOptions,
  ) {
    if (!opts.workers) throw new Error('a parallel sweep needs to know how to start its workers');
  }

  async start(pending: number, signal: AbortSignal): Promise<{ backend: string; slots: number }> {
    const count = Math.min(this.opts.parallel ?? 1, pending);
    const init = { type: 'init' as const, load: this.opts.workers!.load, experimentHash: this.experiment.hash, cacheRoot: this.opts.cacheRoot, logLevel: this.opts.logLevel };
    // with nothing left to run no worker starts; the backend is still named on the sweep run
    const pool = count > 0 && !signal.aborted ? await startWorkers(count, this.opts.workers!.entry, init, this.opts.progress) : undefined;
    this.workers = pool?.workers ?? [];
    return { backend: pool?.backend ?? (await this.services.activateBackend()), slots: this.workers.length };
  }

  accepts(slot: number): boolean {
    return this.workers[slot]?.alive ?? false;
  }

  /** Runs one trial on a worker; undefined when an interrupt came first and the trial never started. */
  async run(trial: Trial, slot: number, { parent, tags }: SweepRun): Promise<TrialResult | undefined> {
    const worker = this.workers[slot]!;
    const started = Date.now();
    try {
      const reply = await worker.request({ type: 'trial', index: trial.index, parent, tags });
      if (reply.type === 'unstarted') return undefined;
      if (reply.type !== 'result' || reply.index !== trial.index) throw new Error(`worker ${worker.slot + 1} answered out of turn (${reply.type})`);
      return fromReported(trial, reply);
    } catch (e) {
      // the process died mid-trial (out of memory, a native crash) and could not end its run: the
      // sweep ends it FAILED with the reason, through the tracker (its owner tags name the dead process)
      const error = e instanceof Error ? e.message : String(e);
      const closed = worker.alive ? [] : await closeOrphanedRuns(this.services.tracker, this.experiment.name, { error }).catch(() => []);
      for (const line of closed) this.opts.progress.line(line);
      return { trial, status: 'FAILED', metrics: {}, error, seconds: (Date.now() - started) / 1000 };
    }
  }

  cancel(): void {
    this.workers.forEach((w) => w.post({ type: 'abort' }));
  }

  async close(): Promise<void> {
    if (this.workers.length > 0) await stopWorkers(this.workers);
  }
}
