import { join } from 'node:path';
import type { Experiment, Trial } from '../config/experiment.ts';
import type { Launcher, SweepRun } from './launcher.ts';
import { MinedCache } from './mining.ts';
import type { SweepOptions, SweepServices } from './sweep-setup.ts';
import { runTrial, type SweepContext, type TrialResult } from './trial-runner.ts';

/**
 * Runs trials one at a time in this process, on the backend it activates. Datasets and mined
 * candidates are loaded once and shared by the trials of the sweep.
 */
export class InProcessLauncher implements Launcher {
  private readonly shared: Omit<SweepContext, 'parent' | 'tags'>;

  constructor(
    private readonly experiment: Experiment,
    private readonly services: SweepServices,
    opts: SweepOptions,
  ) {
    this.shared = {
      experiment,
      registry: opts.registry,
      tracker: services.tracker,
      container: services.container,
      progress: opts.progress,
      cacheRoot: opts.cacheRoot,
      logLevel: opts.logLevel,
      signal: opts.signal,
      datasets: new Map(),
      mined: new MinedCache(join(opts.cacheRoot, 'mined')),
    };
  }

  async start(): Promise<{ backend: string; slots: number }> {
    return { backend: await this.services.activateBackend(), slots: 1 };
  }

  accepts(): boolean {
    return true;
  }

  run(trial: Trial, _slot: number, sweep: SweepRun): Promise<TrialResult> {
    // a running trial watches the sweep's abort signal itself
    return runTrial(trial, this.experiment.trials.length, { ...this.shared, ...sweep });
  }

  cancel(): void {}

  async close(): Promise<void> {}
}
